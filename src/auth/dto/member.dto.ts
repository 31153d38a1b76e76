import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsEmail, IsIn, IsOptional, IsUUID, MaxLength } from 'class-validator';
import { MEMBER_PERMISSIONS, MemberPermission } from '../knowledge-base-member.entity';

/** The user by `userId` (or, for owners who cannot list users, by `email`). */
export class AddMemberDto {
  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID('all', { message: 'userId must be a user id' })
  userId?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsEmail({}, { message: 'email must be an email address' })
  @MaxLength(320)
  email?: string;

  @ApiProperty({ enum: MEMBER_PERMISSIONS })
  @IsIn(MEMBER_PERMISSIONS, { message: 'permission must be read or write' })
  permission: MemberPermission;
}
