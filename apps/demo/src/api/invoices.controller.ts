// POST /invoices/:id/pay (`?pause=1` makes this payment stall its replica past the lease).
import { Controller, HttpCode, Inject, Param, Post, Query } from '@nestjs/common';
import { InvoicesService } from './invoices.service.js';

@Controller('invoices')
export class InvoicesController {
  constructor(@Inject(InvoicesService) private readonly invoices: InvoicesService) {}

  @Post(':id/pay')
  @HttpCode(200)
  async pay(@Param('id') id: string, @Query('pause') pause?: string): Promise<{ invoice: string; result: string }> {
    return { invoice: id, result: await this.invoices.pay(id, pause === '1') };
  }
}
