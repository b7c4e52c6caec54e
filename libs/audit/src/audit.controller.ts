import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiProblems } from '@gad/observability';
import { AuditService } from './audit.service.js';
import { AuditPageDto, AuditQueryDto } from './dto/audit.dto.js';
import { Authenticated } from '@gad/access';

@ApiTags('audit')
@Controller('audit')
export class AuditController {
  constructor(private readonly audit: AuditService) {}

  @Get()
  @Authenticated('admin')
  @ApiOperation({ summary: 'Audit trail, newest first (admin).' })
  @ApiOkResponse({ type: AuditPageDto })
  @ApiProblems({ 400: 'Invalid query (problem+json with `errors`).' })
  list(@Query() query: AuditQueryDto): Promise<AuditPageDto> {
    return this.audit.list(query);
  }
}
