import { ApiProperty } from '@nestjs/swagger';
import { IsEmail, IsString, MaxLength, MinLength } from 'class-validator';
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from '../domain/password-policy';
import { IssuedSession } from '../auth.service';
import { mapUser, UserResponseDto } from './user.dto';

export class RegisterDto {
  @ApiProperty({ example: 'analyst@desk.example.com', maxLength: 254 })
  @IsEmail()
  @MaxLength(254)
  email!: string;

  @ApiProperty({
    minLength: PASSWORD_MIN_LENGTH,
    maxLength: PASSWORD_MAX_LENGTH,
    description: 'At least 12 characters, not the email, not a commonly used password.',
  })
  @IsString()
  @MaxLength(PASSWORD_MAX_LENGTH * 4)
  password!: string;
}

export class LoginDto {
  @ApiProperty({ example: 'analyst@desk.example.com', maxLength: 254 })
  @IsString()
  @MaxLength(254)
  email!: string;

  @ApiProperty({ maxLength: PASSWORD_MAX_LENGTH })
  @IsString()
  @MaxLength(PASSWORD_MAX_LENGTH * 4)
  password!: string;
}

export class RefreshDto {
  @ApiProperty({ description: 'The refresh token of the last login or refresh.' })
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  refreshToken!: string;
}

export class ChangePasswordDto {
  @ApiProperty()
  @IsString()
  @MaxLength(PASSWORD_MAX_LENGTH * 4)
  currentPassword!: string;

  @ApiProperty({ minLength: PASSWORD_MIN_LENGTH, maxLength: PASSWORD_MAX_LENGTH })
  @IsString()
  @MaxLength(PASSWORD_MAX_LENGTH * 4)
  newPassword!: string;
}

export class SessionResponseDto {
  @ApiProperty({ description: 'JWT (HS256), valid for expiresIn seconds.' })
  accessToken!: string;

  @ApiProperty({ example: 'Bearer' })
  tokenType!: 'Bearer';

  @ApiProperty({ example: 900 })
  expiresIn!: number;

  @ApiProperty({ description: 'Opaque; single use: each refresh returns a new one.' })
  refreshToken!: string;

  @ApiProperty({ format: 'date-time' })
  refreshExpiresAt!: string;

  @ApiProperty({ type: () => UserResponseDto })
  user!: UserResponseDto;
}

export function mapSession(s: IssuedSession): SessionResponseDto {
  return {
    accessToken: s.accessToken,
    tokenType: 'Bearer',
    expiresIn: s.expiresIn,
    refreshToken: s.refreshToken,
    refreshExpiresAt: s.refreshExpiresAt.toISOString(),
    user: mapUser(s.user),
  };
}
