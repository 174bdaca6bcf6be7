import { PageQueryDto } from '@app/platform';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsUUID } from 'class-validator';
import { AUDIT_ACTIONS, AuditAction } from '../audit-event.entity';
import { AuditEventRecord } from '../audit.repository';
import { AuditPage } from '../audit.service';

export class ListAuditQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ enum: AUDIT_ACTIONS })
  @IsOptional()
  @IsIn(AUDIT_ACTIONS)
  action?: AuditAction;

  @ApiPropertyOptional({ format: 'uuid', description: 'Events done by or to this user.' })
  @IsOptional()
  @IsUUID()
  userId?: string;
}

export class AuditEventResponseDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ format: 'date-time' })
  at!: string;

  @ApiProperty({ enum: AUDIT_ACTIONS })
  action!: AuditAction;

  @ApiProperty({ format: 'uuid', nullable: true, type: String, description: 'Who did it (null: unknown email).' })
  actorId!: string | null;

  @ApiProperty({ format: 'uuid', nullable: true, type: String, description: 'Whose account it concerns.' })
  subjectId!: string | null;

  @ApiProperty({ nullable: true, type: String })
  ip!: string | null;

  @ApiProperty({ nullable: true, type: String })
  requestId!: string | null;

  @ApiProperty({ type: 'object', additionalProperties: true })
  details!: Record<string, unknown>;
}

export class AuditListResponseDto {
  @ApiProperty({ type: () => [AuditEventResponseDto] })
  items!: AuditEventResponseDto[];

  @ApiProperty({ type: String, nullable: true, description: 'Pass as cursor for the next page; null on the last.' })
  nextCursor!: string | null;
}

const mapEvent = (e: AuditEventRecord): AuditEventResponseDto => ({
  id: e.id,
  at: e.createdAt.toISOString(),
  action: e.action,
  actorId: e.actorId,
  subjectId: e.subjectId,
  ip: e.ip,
  requestId: e.requestId,
  details: e.details,
});

export function mapAuditPage(page: AuditPage): AuditListResponseDto {
  return { items: page.items.map(mapEvent), nextCursor: page.nextCursor };
}
