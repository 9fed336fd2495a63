import { Body, Controller, Post } from '@nestjs/common';
import { Query, Resolver } from '@nestjs/graphql';

/** The app's own JSON route: parsed by the app's own body parser, as before the module came. */
@Controller('notes')
export class NotesController {
  @Post()
  create(@Body() body: { text?: unknown }): { received: unknown } {
    return { received: body.text };
  }
}

/** The app's own GraphQL query, in the same schema as the module's. */
@Resolver()
export class NotesResolver {
  @Query(() => String)
  hello(): string {
    return 'hello from the host';
  }
}
