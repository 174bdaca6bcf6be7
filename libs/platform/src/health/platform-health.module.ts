import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { PlatformHealth } from './platform-health.service';

@Module({
  imports: [TerminusModule.forRoot({ logger: false })],
  providers: [PlatformHealth],
  exports: [PlatformHealth, TerminusModule],
})
export class PlatformHealthModule {}
