import { activeKey, inScope, scopeOf } from "../../domain/chat-scope.js";
import { newSession, newSessionId, type Session, type UserProfile } from "../../domain/session.js";
import { stampOf, type UpdateRef } from "../../domain/update-stamp.js";
import { ConflictError } from "../../errors.js";
import type { AddressedMessage } from "../intake/addressing.js";
import type { SessionStore } from "../ports.js";

/** What {@link Conversations} needs to know. */
export interface ConversationSettings {
  readonly defaultModel: string;
  readonly ollamaUrl: string;
  readonly now: () => Date;
}

/**
 * A user's profile and sessions for the length of one invoke. Updates of one
 * user are handled one at a time (see the poller's lanes), so what this class
 * read or wrote stays true until the invoke ends: each user costs at most one
 * profile read and one session read per invoke, however many messages they sent.
 */
export class Conversations {
  private readonly profiles = new Map<number, UserProfile>();
  /** Users whose cached profile points at an `unsaved` session and is not stored yet. */
  private readonly profilesToSave = new Set<number>();
  private readonly sessions = new Map<string, Session>();

  constructor(
    private readonly store: SessionStore,
    private readonly settings: ConversationSettings,
  ) {}

  /** The user's profile, created (in memory only) on first contact. */
  async profile(msg: AddressedMessage): Promise<UserProfile> {
    const cached = this.profiles.get(msg.userId);
    if (cached) return cached;
    const stored = await this.store.getProfile(msg.userId);
    const profile = stored ?? {
      userId: msg.userId,
      chatId: msg.chatId,
      currentModel: this.settings.defaultModel,
      activeSessions: {},
      lastUpdateId: 0,
      user: msg.user,
    };
    this.profiles.set(msg.userId, profile);
    return profile;
  }

  /** Saves a changed profile, stamped with the update that changed it. */
  async saveProfile(profile: UserProfile): Promise<UserProfile> {
    await this.store.saveProfile(profile);
    this.profiles.set(profile.userId, profile);
    this.profilesToSave.delete(profile.userId);
    return profile;
  }

  /**
   * Stores what starting an `unsaved` session left in memory, before the
   * session item is written: the profile that points at it. A message that is
   * never stored (refused by a daily limit, say) so costs no write at all.
   */
  async storeStart(session: Session): Promise<void> {
    const profile = this.profiles.get(session.userId);
    if (!session.unsaved || !profile || !this.profilesToSave.has(session.userId)) return;
    try {
      await this.saveProfile(profile);
    } catch (err) {
      if (!(err instanceof ConflictError)) throw err;
      // Another invoke changed the profile since it was read (a poller lease overlap): point
      // its newer version at this session rather than fail a turn whose answer went out.
      const newer = await this.store.getProfile(session.userId);
      if (!newer) throw err;
      const key = activeKey(session.groupChatId, session.model);
      await this.saveProfile({
        ...newer,
        activeSessions: { ...newer.activeSessions, [key]: session.sessionId },
      });
    }
  }

  /**
   * The active session of the user's current model, resumed or created. With
   * `deferCreate` (a message about to be stored in it), a new session is left
   * `unsaved`, and the profile pointing at it unstored: both are written with
   * the message's turn (the session and the turn in one PutItem), and a
   * message that is never stored writes nothing.
   */
  async current(
    msg: AddressedMessage,
    options: { deferCreate?: boolean } = {},
  ): Promise<{ profile: UserProfile; session: Session }> {
    const profile = await this.profile(msg);
    return this.activeFor(msg, profile, profile.currentModel, options);
  }

  /**
   * The stored active session of the user's current model in this chat, read
   * afresh and never created (for commands that end it).
   */
  async storedCurrent(msg: AddressedMessage, profile: UserProfile): Promise<Session | undefined> {
    const sessionId = activeSessionId(profile, msg, profile.currentModel);
    if (!sessionId) return undefined;
    return this.store.getSession({ userId: msg.userId, model: profile.currentModel, sessionId });
  }

  /** The active session for `model`, resumed or created (see {@link current} for `deferCreate`). */
  async activeFor(
    msg: AddressedMessage,
    profile: UserProfile,
    model: string,
    { deferCreate = false }: { deferCreate?: boolean } = {},
  ): Promise<{ profile: UserProfile; session: Session }> {
    const sessionId = activeSessionId(profile, msg, model);
    if (sessionId) {
      const key = `${msg.userId}/${model}/${sessionId}`;
      const cached = this.sessions.get(key);
      if (cached && inScope(cached, scopeOf(msg)))
        return { profile, session: deferCreate ? cached : await this.stored(cached) };
      const stored = await this.store.getSession({ userId: msg.userId, model, sessionId });
      // The scope check is a second lock: a session of another chat is never continued here.
      if (stored && stored.status === "active" && inScope(stored, scopeOf(msg))) {
        this.remember(stored);
        return { profile, session: stored };
      }
    }
    return this.startSession(msg, profile, model, { deferCreate });
  }

  /** `session` as stored: an `unsaved` one (whose first message was never stored) is created now. */
  private async stored(session: Session): Promise<Session> {
    if (!session.unsaved) return session;
    await this.storeStart(session);
    const { unsaved: _unsaved, ...saved } = session;
    await this.store.createSession(saved);
    this.remember(saved);
    return saved;
  }

  /**
   * Creates a fresh active session for `model` and points the profile at it.
   * `stamp` marks the profile as changed by that update (commands that
   * must run once); implicit creation on a first message leaves the marker
   * alone, and with `deferCreate` writes nothing yet: the profile and the
   * session are stored with the message's turn ({@link storeStart}).
   */
  async startSession(
    msg: AddressedMessage,
    profile: UserProfile,
    model: string,
    { stamp, deferCreate = false }: { stamp?: UpdateRef; deferCreate?: boolean } = {},
  ): Promise<{ profile: UserProfile; session: Session }> {
    const now = this.settings.now();
    const session = newSession({
      userId: msg.userId,
      chatId: msg.chatId,
      groupChatId: scopeOf(msg),
      model,
      sessionId: newSessionId(now),
      ollamaUrl: this.settings.ollamaUrl,
      user: msg.user,
      now,
    });
    const pointed: UserProfile = {
      ...profile,
      chatId: msg.chatId,
      user: msg.user,
      activeSessions: withActive(profile, msg, model, session.sessionId),
      ...(stamp ? stampOf(stamp) : {}),
    };
    if (deferCreate) {
      // Both writes wait for the message's turn (storeStart, then the session with the turn).
      this.profiles.set(profile.userId, pointed);
      this.profilesToSave.add(profile.userId);
      const started: Session = { ...session, unsaved: true };
      this.remember(started);
      return { profile: pointed, session: started };
    }
    await this.store.createSession(session);
    const updated = await this.saveProfile(pointed);
    this.remember(session);
    return { profile: updated, session };
  }

  /** The user's sessions in the chat `msg` came from (active and closed), newest first. */
  async listInChat(msg: AddressedMessage): Promise<Session[]> {
    const scope = scopeOf(msg);
    return (await this.store.listSessions(msg.userId)).filter((s) => inScope(s, scope));
  }

  /** Records a session state written by someone else in this invoke (append, settings, archive). */
  remember(session: Session): void {
    const key = `${session.userId}/${session.model}/${session.sessionId}`;
    if (session.status === "active") this.sessions.set(key, session);
    else this.sessions.delete(key);
  }

  /** Drops what is cached for a user, after a conflicting write. */
  forget(userId: number): void {
    this.profiles.delete(userId);
    this.profilesToSave.delete(userId);
    for (const key of this.sessions.keys())
      if (key.startsWith(`${userId}/`)) this.sessions.delete(key);
  }
}

/** The id of the user's active session for `model` in the chat of `msg`, if any. */
export function activeSessionId(
  profile: UserProfile,
  msg: Pick<AddressedMessage, "isGroup" | "chatId">,
  model: string,
): string | undefined {
  const key = activeKey(scopeOf(msg), model);
  return Object.hasOwn(profile.activeSessions, key) ? profile.activeSessions[key] : undefined;
}

/** The profile's active-session map with `model` in the chat of `msg` set to `sessionId` (or removed). */
export function withActive(
  profile: UserProfile,
  msg: Pick<AddressedMessage, "isGroup" | "chatId">,
  model: string,
  sessionId: string | undefined,
): Record<string, string> {
  const key = activeKey(scopeOf(msg), model);
  const { [key]: _old, ...rest } = profile.activeSessions;
  return sessionId === undefined ? rest : { ...rest, [key]: sessionId };
}
