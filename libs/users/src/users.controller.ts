import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { PageQueryDto } from '@gad/database';
import { uuidParam } from '@gad/observability';
import { UsersService } from './users.service.js';
import { UserDto, UserPageDto } from './dto/user.dto.js';
import { CreateUserDto, UpdateMeDto, UpdateUserDto } from './dto/user-input.dto.js';
import {
  AllowPendingPasswordChange,
  Authenticated,
  Client,
  CurrentUser,
  type AuthenticatedUser,
  type ClientContext,
} from '@gad/access';

const uuid = uuidParam('id');

@ApiTags('users')
@Controller('users')
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @Get('me')
  @Authenticated()
  @AllowPendingPasswordChange()
  @ApiOperation({ summary: 'The signed-in user.' })
  @ApiOkResponse({ type: UserDto })
  me(@CurrentUser() user: AuthenticatedUser): Promise<UserDto> {
    return this.users.get(user, user.id);
  }

  @Patch('me')
  @Authenticated()
  @ApiOperation({ summary: 'Change your own display name (the only field you may change here).' })
  @ApiOkResponse({ type: UserDto })
  @ApiBadRequestResponse({ description: 'Validation failed (problem+json with errors).' })
  updateMe(@CurrentUser() user: AuthenticatedUser, @Body() body: UpdateMeDto, @Client() client: ClientContext): Promise<UserDto> {
    return this.users.updateMe(user, body.full_name, client);
  }

  @Get()
  @Authenticated('admin')
  @ApiOperation({ summary: 'List users ordered by created_at, then id (admin).' })
  @ApiOkResponse({ type: UserPageDto })
  @ApiBadRequestResponse({ description: 'skip/limit out of range.' })
  list(@CurrentUser() user: AuthenticatedUser, @Query() query: PageQueryDto): Promise<UserPageDto> {
    return this.users.list(user, query.skip, query.limit);
  }

  @Post()
  @Authenticated('admin')
  @ApiOperation({ summary: 'Create a user (admin).' })
  @ApiCreatedResponse({ type: UserDto })
  @ApiBadRequestResponse({ description: 'Validation failed or weak password (the rule is named).' })
  @ApiConflictResponse({ description: 'Email already taken (case-insensitive).' })
  create(@CurrentUser() user: AuthenticatedUser, @Body() body: CreateUserDto, @Client() client: ClientContext): Promise<UserDto> {
    return this.users.create(user, body, client);
  }

  @Get(':id')
  @Authenticated()
  @ApiOperation({ summary: "Read a user: admins read anyone, others only themselves (another's id answers 404)." })
  @ApiOkResponse({ type: UserDto })
  @ApiNotFoundResponse({ description: 'No such user, or not yours to see.' })
  get(@CurrentUser() user: AuthenticatedUser, @Param('id', uuid) id: string): Promise<UserDto> {
    return this.users.get(user, id);
  }

  @Patch(':id')
  @Authenticated('admin')
  @ApiOperation({ summary: 'Update a user (admin).' })
  @ApiOkResponse({ type: UserDto })
  @ApiBadRequestResponse({ description: 'Validation failed or weak password.' })
  @ApiNotFoundResponse({ description: 'No such user.' })
  @ApiConflictResponse({ description: 'Email already taken.' })
  update(
    @CurrentUser() user: AuthenticatedUser,
    @Param('id', uuid) id: string,
    @Body() body: UpdateUserDto,
    @Client() client: ClientContext,
  ): Promise<UserDto> {
    return this.users.update(user, id, body, client);
  }

  @Delete(':id')
  @HttpCode(204)
  @Authenticated('admin')
  @ApiOperation({ summary: 'Delete a user and revoke their sessions (admin). You cannot delete yourself.' })
  @ApiNoContentResponse()
  @ApiNotFoundResponse({ description: 'No such user.' })
  async delete(
    @CurrentUser() user: AuthenticatedUser,
    @Param('id', uuid) id: string,
    @Client() client: ClientContext,
  ): Promise<void> {
    await this.users.delete(user, id, client);
  }
}
