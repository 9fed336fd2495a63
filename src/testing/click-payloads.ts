import {
  CLICK_DATA_KEY,
  WHATSAPP_BUSINESS_ACCOUNT_OBJECT,
} from '../payload/click-payload.parser.js';

/** One user action as Meta sends it; every field may be overridden or removed (set undefined). */
export interface SampleActionInput {
  action_type?: string;
  timestamp?: string | number;
  click_component?: string;
  click_id?: string;
  product_id?: string;
  tracking_token?: string;
}

export interface SampleDeliveryInput {
  businessAccountId?: string;
  phoneNumberId?: string;
  displayPhoneNumber?: string;
  actions: Record<string, unknown>[];
}

/** A Meta-shaped `user_actions[]` item. */
export function sampleClickAction(input: SampleActionInput = {}): Record<string, unknown> {
  const data = {
    click_component: 'click_component' in input ? input.click_component : 'cta',
    product_id: 'product_id' in input ? input.product_id : 'sku_1',
    click_id: 'click_id' in input ? input.click_id : `click_${Math.random().toString(36).slice(2)}`,
    tracking_token: 'tracking_token' in input ? input.tracking_token : 'token_1',
  };
  return {
    action_type: input.action_type ?? 'marketing_messages_link_click',
    timestamp: 'timestamp' in input ? input.timestamp : String(Math.floor(Date.now() / 1000)),
    [CLICK_DATA_KEY]: JSON.parse(JSON.stringify(data)) as Record<string, unknown>,
  };
}

/** A whole webhook body with one entry and one change holding `actions`. */
export function sampleClickDelivery(input: SampleDeliveryInput): Record<string, unknown> {
  return {
    object: WHATSAPP_BUSINESS_ACCOUNT_OBJECT,
    entry: [
      {
        id: input.businessAccountId ?? '102290129340398',
        changes: [
          {
            value: {
              messaging_product: 'whatsapp',
              metadata: {
                display_phone_number: input.displayPhoneNumber ?? '15550783881',
                phone_number_id: input.phoneNumberId ?? '106540352242922',
              },
              user_actions: input.actions,
            },
            field: 'messages',
          },
        ],
      },
    ],
  };
}
