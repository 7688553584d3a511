// Errors of @gatio/http, each with a stable code, registered with @gatio/core (at the end) so they
// keep their class when they cross threads.
import { registerErrorClasses } from '@gatio/core';
import { GatioError } from '@gatio/native';

export { GatioError } from '@gatio/native';

/** The app module cannot serve: it has no default export with a fetch(request, env, ctx) method. */
export class InvalidAppError extends GatioError {
  static readonly code = 'GATIO_ERR_HTTP_INVALID_APP';
  constructor(message: string) {
    super(InvalidAppError.code, message);
  }
}

registerErrorClasses([InvalidAppError]);
