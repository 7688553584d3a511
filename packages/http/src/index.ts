/**
 * @gatio/http: an HTTP/1.1 server for fetch handlers (`{ fetch(request, env, ctx) }`, e.g. a Hono
 * app), run on every serving driver's io_uring through the services contract of @gatio/core and
 * the TCP machinery of @gatio/net.
 */
export * from './errors';
