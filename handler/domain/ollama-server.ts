/**
 * An Ollama server as the bot reaches it. `OLLAMA_URL` may carry a user and a
 * password (`http://user:password@host:port`: basic auth on a reverse proxy);
 * those go into the request's `Authorization` header and nowhere else. What is
 * stored with a session, exported, logged and shown in the chat is the public
 * URL, without user info.
 */

const INSPECT = Symbol.for("nodejs.util.inspect.custom");

/** Why a URL with user info cannot be used (the message never repeats the URL). */
export class ServerUrlError extends Error {
  override readonly name = "ServerUrlError";
}

/**
 * One Ollama server: its public URL and, when the configured URL had user
 * info, the `Authorization: Basic` value for its requests. Printing it in any
 * way (`String`, `JSON.stringify`, `util.inspect`, a template) shows only the
 * public URL.
 */
export class OllamaServer {
  readonly #authorization: string | undefined;
  readonly #secrets: readonly string[];

  private constructor(
    /** The URL without user info and without a trailing slash. */
    readonly url: string,
    authorization?: string,
    secrets: readonly string[] = [],
  ) {
    this.#authorization = authorization;
    this.#secrets = secrets;
  }

  /**
   * Reads an http(s) URL. User and password are percent-decoded as URLs define
   * them (`p%40ss` is `p@ss`) and sent as `Basic base64(user:password)`, as
   * Node's `http.request` does for a URL with credentials.
   * @throws ServerUrlError when the user or password has a malformed %-escape.
   */
  static parse(raw: string): OllamaServer {
    const url = new URL(raw);
    const user = url.username;
    const password = url.password;
    url.username = "";
    url.password = "";
    const publicUrl = url.href.replace(/\/+$/, "");
    if (user === "" && password === "") return new OllamaServer(publicUrl);
    let credentials: string;
    try {
      credentials = `${decodeURIComponent(user)}:${decodeURIComponent(password)}`;
    } catch {
      throw new ServerUrlError(
        "has a user or password with a % not followed by two hex digits (write a literal % as %25)",
      );
    }
    const basic = Buffer.from(credentials, "utf8").toString("base64");
    const decoded = credentials.slice(credentials.indexOf(":") + 1);
    return new OllamaServer(publicUrl, `Basic ${basic}`, [password, decoded, basic]);
  }

  /**
   * How replies name the server: its public host and port, and its path when
   * it has one (two servers behind one proxy differ only there). Never user info.
   */
  get label(): string {
    const { host, pathname } = new URL(this.url);
    return pathname === "/" ? host : `${host}${pathname}`;
  }

  /** The headers every request to this server carries (the `Authorization`, when there is one). */
  headers(): Record<string, string> {
    return this.#authorization ? { Authorization: this.#authorization } : {};
  }

  /**
   * What a log must never print: the password as written and decoded, and the
   * header's credentials. Empty without user info.
   */
  secrets(): readonly string[] {
    return this.#secrets;
  }

  toString(): string {
    return this.url;
  }

  toJSON(): string {
    return this.url;
  }

  [INSPECT](): string {
    return `OllamaServer(${this.url})`;
  }
}

/**
 * `text` without user info when it is a URL that has some (a session stored,
 * or a file written, before user info was kept out), else `text` unchanged: a
 * recorded endpoint is history, and history never carries a password.
 */
export function withoutUserInfo(text: string): string {
  if (!URL.canParse(text)) return text;
  const url = new URL(text);
  if (url.username === "" && url.password === "") return text;
  url.username = "";
  url.password = "";
  return url.href.replace(/\/+$/, "");
}
