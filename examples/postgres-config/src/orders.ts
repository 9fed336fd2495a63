import { Body, Controller, Get, Param, Post } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { ClickEvent } from 'nestjs-whatsapp-clicks';
import { Column, Entity, PrimaryGeneratedColumn, type Repository } from 'typeorm';

/** The app's own table, from its own migration, in the same database as the clicks. */
@Entity({ name: 'orders' })
export class Order {
  @PrimaryGeneratedColumn()
  id!: number;

  /** The click_id the landing page found in its URL. */
  @Column({ name: 'click_id', type: 'varchar', nullable: true })
  clickId!: string | null;

  @Column({ type: 'integer' })
  cents!: number;
}

@Controller('orders')
export class OrdersController {
  constructor(
    @InjectRepository(Order) private readonly orders: Repository<Order>,
    @InjectRepository(ClickEvent) private readonly clicks: Repository<ClickEvent>,
  ) {}

  @Post()
  create(@Body() body: { clickId?: string; cents: number }): Promise<Order> {
    return this.orders.save(
      this.orders.create({ clickId: body.clickId ?? null, cents: body.cents }),
    );
  }

  /** An order with the click that brought it, found by the click id. */
  @Get(':id')
  async find(@Param('id') id: string): Promise<{ order: Order | null; click: ClickEvent | null }> {
    const order = await this.orders.findOneBy({ id: Number(id) });
    const click = order?.clickId ? await this.clicks.findOneBy({ clickId: order.clickId }) : null;
    return { order, click };
  }
}
