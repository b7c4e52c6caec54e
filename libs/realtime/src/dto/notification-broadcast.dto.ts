import { IsIn, IsOptional, IsString, Matches, MaxLength, MinLength } from 'class-validator';
import { ROLES, type Role } from '@gad/access';

const NOTIFICATION_LEVELS = ['info', 'warning', 'critical'] as const;
export type NotificationLevel = (typeof NOTIFICATION_LEVELS)[number];

/** Payload of the admin-only `notification:broadcast` client event. */
export class NotificationBroadcastDto {
  @IsString()
  @MinLength(1)
  @MaxLength(1000)
  @Matches(/\S/, { message: 'message must not be blank' })
  message!: string;

  @IsOptional()
  @IsIn(NOTIFICATION_LEVELS)
  level?: NotificationLevel;

  /** Only users with this role (and the sender) receive it; absent, everyone does. */
  @IsOptional()
  @IsIn(ROLES)
  role?: Role;
}
