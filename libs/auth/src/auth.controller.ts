import { Body, Controller, Header, HttpCode, Inject, Post, Req, Res, UseGuards } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import {
  ApiBearerAuth,
  ApiBody,
  ApiConsumes,
  ApiCookieAuth,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiSecurity,
  ApiTags,
} from '@nestjs/swagger';
import type { FastifyReply as Response, FastifyRequest as Request } from 'fastify';
import { appConfig, authConfig } from '@gad/config';
import { ApiProblems } from '@gad/observability';
import { AuthCookies, REFRESH_COOKIE, extractAccessToken, readCookie, setCookieHeader } from './auth-cookies.js';
import { AuthService, type IssuedTokens } from './auth.service.js';
import { ChangePasswordDto, LoginDto, TokenResponseDto } from './dto/auth.dto.js';
import { TrustedOriginGuard } from './origin.guard.js';
import {
  AllowPendingPasswordChange,
  AuthenticatedDuringPasswordChange,
  Client,
  CurrentUser,
  Public,
  type AuthenticatedUser,
  type ClientContext,
} from '@gad/access';

@ApiTags('auth')
@AllowPendingPasswordChange()
@Controller('auth')
export class AuthController {
  private readonly cookies: AuthCookies;

  constructor(
    private readonly auth: AuthService,
    @Inject(appConfig.KEY) app: ConfigType<typeof appConfig>,
    @Inject(authConfig.KEY) settings: ConfigType<typeof authConfig>,
  ) {
    this.cookies = new AuthCookies({ app, auth: settings });
  }

  @Post('login')
  @Public()
  @UseGuards(TrustedOriginGuard)
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  @ApiOperation({ summary: 'Sign in with JSON {email, password} or the OAuth2 password form; sets the refresh cookie.' })
  @ApiConsumes('application/json', 'application/x-www-form-urlencoded')
  @ApiBody({ type: LoginDto })
  @ApiOkResponse({ type: TokenResponseDto, headers: setCookieHeader('set') })
  @ApiProblems({
    400: 'Malformed body, or a password over 72 bytes.',
    401: 'Unknown email or wrong password (the same answer for both).',
    403: 'The account is deactivated; or Sent by a page of another site (`Origin`, or `Referer`, neither this site nor a CORS_ALLOWED_ORIGINS origin).',
    429: 'Too many failed sign-ins from this address or for this account (LOGIN_MAX_ATTEMPTS), or too many requests.',
  })
  async login(
    @Body() body: LoginDto,
    @Client() client: ClientContext,
    @Res({ passthrough: true }) res: Response,
  ): Promise<TokenResponseDto> {
    const issued = await this.auth.login(body.email ?? body.username ?? '', body.password, client);
    return this.respond(res, issued);
  }

  @Post('refresh')
  @Public()
  @UseGuards(TrustedOriginGuard)
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  @ApiOperation({ summary: 'Rotate the refresh cookie and get a new access token. Reusing a rotated token revokes the session.' })
  @ApiCookieAuth('refresh_token')
  @ApiOkResponse({ type: TokenResponseDto, headers: setCookieHeader('set') })
  @ApiProblems({
    401: 'No, unknown, expired, revoked or reused refresh token (the cookies are cleared).',
    403: 'Sent by a page of another site (`Origin`, or `Referer`, neither this site nor a CORS_ALLOWED_ORIGINS origin).',
  })
  async refresh(
    @Req() req: Request,
    @Client() client: ClientContext,
    @Res({ passthrough: true }) res: Response,
  ): Promise<TokenResponseDto> {
    try {
      return this.respond(res, await this.auth.refresh(readCookie(req, REFRESH_COOKIE), client));
    } catch (error) {
      this.cookies.clear(res);
      throw error;
    }
  }

  @Post('logout')
  @Public()
  @HttpCode(204)
  @ApiOperation({
    summary: 'End the session (refresh cookie or bearer token) and clear cookies. 204 even when there is nothing to end.',
  })
  @ApiNoContentResponse({
    description: 'The session is over (or there was none); the cookies are cleared.',
    headers: setCookieHeader('clear'),
  })
  // any credential names the session to end, and none is needed: generated clients then send what they hold
  @ApiSecurity({})
  @ApiCookieAuth('refresh_token')
  @ApiCookieAuth('access_token')
  @ApiBearerAuth()
  async logout(@Req() req: Request, @Client() client: ClientContext, @Res({ passthrough: true }) res: Response): Promise<void> {
    await this.auth.logout(readCookie(req, REFRESH_COOKIE), extractAccessToken(req), client);
    this.cookies.clear(res);
  }

  @Post('change-password')
  @HttpCode(204)
  @AuthenticatedDuringPasswordChange()
  @ApiOperation({ summary: 'Change your password; keeps this session, revokes the others, clears must_change_password.' })
  @ApiNoContentResponse({ description: 'Changed.' })
  @ApiProblems({
    400: 'The new password breaks a rule (named in the answer).',
    401: 'The current password is wrong.',
  })
  async changePassword(
    @CurrentUser() user: AuthenticatedUser,
    @Body() body: ChangePasswordDto,
    @Client() client: ClientContext,
  ): Promise<void> {
    await this.auth.changePassword(user, body.current_password, body.new_password, client);
  }

  private respond(res: Response, issued: IssuedTokens): TokenResponseDto {
    this.cookies.set(res, issued.accessToken, issued.expiresIn, issued.refreshToken, issued.refreshExpiresAt);
    res.header('pragma', 'no-cache');
    return { access_token: issued.accessToken, token_type: 'bearer', expires_in: issued.expiresIn };
  }
}
