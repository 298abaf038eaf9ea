// The coded errors live with the wire contracts (their kinds travel in tool results' `_meta`), so that
// schemas/ can name the field a parse failed on; the runtime imports them from here.
export * from '../schemas/errors.ts';
