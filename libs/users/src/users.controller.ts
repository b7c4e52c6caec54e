import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { PageQueryDto } from '@gad/database';
import { ApiProblems, ApiUuidParam, uuidParam } from '@gad/observability';
import { UsersService } from './users.service.js';
import { UserDto, UserPageDto } from './dto/user.dto.js';
import { CreateUserDto, UpdateMeDto, UpdateUserDto } from './dto/user-input.dto.js';
import {
  AuthenticatedDuringPasswordChange,
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
  @AuthenticatedDuringPasswordChange()
  @ApiOperation({ summary: 'The signed-in user.' })
  @ApiOkResponse({ type: UserDto })
  me(@CurrentUser() user: AuthenticatedUser): UserDto {
    return this.users.me(user);
  }

  @Patch('me')
  @Authenticated()
  @ApiOperation({ summary: 'Change your own display name (the only field you may change here).' })
  @ApiOkResponse({ type: UserDto })
  @ApiProblems({ 400: 'Validation failed (problem+json with `errors`).' })
  updateMe(@CurrentUser() user: AuthenticatedUser, @Body() body: UpdateMeDto, @Client() client: ClientContext): Promise<UserDto> {
    return this.users.updateMe(user, body.full_name, client);
  }

  @Get()
  @Authenticated('admin')
  @ApiOperation({ summary: 'List users ordered by created_at, then id (admin).' })
  @ApiOkResponse({ type: UserPageDto })
  @ApiProblems({ 400: 'Paging parameters out of range or malformed.' })
  list(@CurrentUser() user: AuthenticatedUser, @Query() query: PageQueryDto): Promise<UserPageDto> {
    return this.users.list(user, query);
  }

  @Post()
  @Authenticated('admin')
  @ApiOperation({ summary: 'Create a user (admin).' })
  @ApiCreatedResponse({ type: UserDto })
  @ApiProblems({
    400: 'Validation failed or weak password (the rule is named).',
    403: '`is_superuser` asked for by someone who is not a superuser.',
    409: 'Email already taken (case-insensitive).',
  })
  create(@CurrentUser() user: AuthenticatedUser, @Body() body: CreateUserDto, @Client() client: ClientContext): Promise<UserDto> {
    return this.users.create(user, body, client);
  }

  @Get(':id')
  @Authenticated()
  @ApiOperation({ summary: "Read a user: admins read anyone, others only themselves (another's id answers 404)." })
  @ApiUuidParam('id')
  @ApiOkResponse({ type: UserDto })
  @ApiProblems({ 400: '`id` is not a UUID.', 404: 'No such user, or not yours to see.' })
  get(@CurrentUser() user: AuthenticatedUser, @Param('id', uuid) id: string): Promise<UserDto> {
    return this.users.get(user, id);
  }

  @Patch(':id')
  @Authenticated('admin')
  @ApiOperation({ summary: 'Update a user (admin).' })
  @ApiUuidParam('id')
  @ApiOkResponse({ type: UserDto })
  @ApiProblems({
    400: 'Validation failed, weak password, or `id` is not a UUID.',
    403: 'A privilege rule: only a superuser touches superusers or `is_superuser`, nobody removes their own last admin right, one active superuser must remain.',
    404: 'No such user.',
    409: 'Email already taken.',
  })
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
  @ApiUuidParam('id')
  @ApiNoContentResponse({ description: 'Deleted; their sessions and sockets are gone.' })
  @ApiProblems({
    400: '`id` is not a UUID.',
    403: 'A privilege rule: only a superuser touches superusers or `is_superuser`, nobody removes their own last admin right, one active superuser must remain.',
    404: 'No such user.',
  })
  async delete(
    @CurrentUser() user: AuthenticatedUser,
    @Param('id', uuid) id: string,
    @Client() client: ClientContext,
  ): Promise<void> {
    await this.users.delete(user, id, client);
  }
}
