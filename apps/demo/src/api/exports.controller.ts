// POST /exports {tenant, plan}: 202 with the export job's id.
import { BadRequestException, Body, Controller, HttpCode, Inject, Post } from '@nestjs/common';
import { hostNow } from '../evidence.js';
import { EXPORTS, TENANTS } from '../settings.js';
import { ExportsService, type Plan } from './exports.service.js';

@Controller('exports')
export class ExportsController {
  constructor(@Inject(ExportsService) private readonly exports: ExportsService) {}

  @Post()
  @HttpCode(202)
  async create(@Body() body: { tenant?: unknown; plan?: unknown }): Promise<{ jobId: string }> {
    const arrived = hostNow();
    const { tenant, plan } = body ?? {};
    if (!(TENANTS as readonly unknown[]).includes(tenant) || !(EXPORTS.plans as readonly unknown[]).includes(plan)) {
      throw new BadRequestException(`expected tenant in ${TENANTS.join(', ')} and plan in ${EXPORTS.plans.join(', ')}`);
    }
    return { jobId: await this.exports.prepare(tenant as string, plan as Plan, arrived) };
  }
}
