import { IsString, MaxLength, MinLength } from 'class-validator';

/** Payload of `auth:refresh`: a fresh access token for the same user, so the socket outlives its first token. */
export class AuthRefreshDto {
  @IsString()
  @MinLength(1)
  @MaxLength(4096)
  token!: string;
}
