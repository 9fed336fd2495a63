import { ArgsType, Field } from '@nestjs/graphql';
import { ArrayMaxSize, ArrayMinSize, IsOptional, Matches } from 'class-validator';
import {
  DEFAULT_FUNNEL_STEPS,
  FUNNEL_STEP_NAME,
  MAX_FUNNEL_STEPS,
} from '../funnel/click-funnel.service.js';
import { AccountArgs } from './click-api.args.js';

@ArgsType()
export class ClickFunnelArgs extends AccountArgs {
  @Field(() => [String], {
    defaultValue: [...DEFAULT_FUNNEL_STEPS],
    description:
      '`sent`, `click` (the clicks the filter selects), then any Meta action type or conversion event (`landing_page_view`, `purchase`...)',
  })
  @IsOptional()
  @ArrayMinSize(1, { message: `must name 1 to ${MAX_FUNNEL_STEPS} steps` })
  @ArrayMaxSize(MAX_FUNNEL_STEPS, { message: `must name 1 to ${MAX_FUNNEL_STEPS} steps` })
  @Matches(FUNNEL_STEP_NAME, {
    each: true,
    message: 'each step must be 1 to 64 letters, digits, _ . : or -',
  })
  steps: string[] = [...DEFAULT_FUNNEL_STEPS];
}
