/** One error code as it is registered: the name throw sites use, its one HTTP status, and its default message. */
export interface ErrorDefinition {
  readonly code: string;
  readonly status: number;
  /** What happened and what to do, used when a throw site has nothing more precise to say. */
  readonly message: string;
  /**
   * The registered code whose name goes on the wire instead of this one. The spec lets /v2/ bodies carry only its
   * own codes, so a case Berth tells apart by status (a 416 upload chunk, a 413 body) is written as the spec's code
   * that fits it; the code still decides the status, and the logs name it.
   */
  readonly sentAs?: string;
}

export interface RegisteredError {
  readonly status: number;
  readonly message: string;
  /** The `code` written in the error body. */
  readonly wireCode: string;
}

/**
 * Registers each code once, as Distribution's errcode.Register does: a second definition of a code throws while the
 * module loads, so two cases can never share a code with different statuses, and a mistake stops the start-up
 * rather than answering one of them wrongly.
 */
export function registerErrorCodes<const D extends readonly ErrorDefinition[]>(definitions: D): Readonly<Record<D[number]['code'], RegisteredError>> {
  const registered = new Map<string, ErrorDefinition>();
  for (const definition of definitions) {
    const earlier = registered.get(definition.code);
    if (earlier !== undefined) {
      throw new Error(`error code ${definition.code} is already registered (status ${earlier.status}): give the new case a code of its own`);
    }
    registered.set(definition.code, definition);
  }
  const catalog: Record<string, RegisteredError> = {};
  for (const { code, status, message, sentAs } of definitions) {
    if (sentAs !== undefined && (!registered.has(sentAs) || registered.get(sentAs)!.sentAs !== undefined)) {
      throw new Error(`error code ${code} is sent as ${sentAs}, which is not a registered code of its own: register ${sentAs} first`);
    }
    catalog[code] = Object.freeze({ status, message, wireCode: sentAs ?? code });
  }
  return Object.freeze(catalog) as Readonly<Record<D[number]['code'], RegisteredError>>;
}
