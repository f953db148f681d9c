import { describe, expect, it } from "@jest/globals";
import { Conversations } from "../../handler/app/conversation/conversations.js";
import type { AddressedMessage } from "../../handler/app/intake/addressing.js";
import type { SessionStore } from "../../handler/app/ports.js";
import type { Session, UserProfile } from "../../handler/domain/session.js";
import { ConflictError } from "../../handler/errors.js";

/** Profiles and sessions in memory, with the DynamoDB store's profile condition. */
class MemorySessions implements SessionStore {
  readonly profiles = new Map<number, UserProfile>();
  readonly sessions = new Map<string, Session>();
  readonly profileWrites: UserProfile[] = [];

  async getProfile(userId: number): Promise<UserProfile | undefined> {
    return this.profiles.get(userId);
  }

  async saveProfile(profile: UserProfile): Promise<void> {
    const stored = this.profiles.get(profile.userId);
    // As in DynamoDB: `attribute_not_exists(PK) OR last_update_id <= :uid`.
    if (stored && stored.lastUpdateId > profile.lastUpdateId)
      throw new ConflictError("a newer update changed the profile");
    this.profiles.set(profile.userId, profile);
    this.profileWrites.push(profile);
  }

  async getSession(): Promise<Session | undefined> {
    return undefined;
  }

  async createSession(session: Session): Promise<void> {
    this.sessions.set(session.sessionId, session);
  }

  async appendMessages(session: Session): Promise<Session> {
    return session;
  }

  async updateSettings(session: Session): Promise<Session> {
    return session;
  }

  async listSessions(): Promise<Session[]> {
    return [...this.sessions.values()];
  }
}

const msg = {
  updateId: 100,
  messageId: 1,
  userId: 5,
  chatId: 5,
  isGroup: false,
  user: { id: 5, firstName: "Ada" },
} as unknown as AddressedMessage;

/** The per-invoke conversations view on `store`, at a fixed time. */
const conversationsOn = (store: SessionStore) =>
  new Conversations(store, {
    defaultModel: "llama3",
    ollamaUrl: "http://ollama:11434",
    now: () => new Date("2026-11-26T12:00:00Z"),
  });

describe("app/conversation Conversations: a session a message starts", () => {
  it("writes nothing until the message's turn is stored, then the profile pointing at it", async () => {
    // Arrange
    const store = new MemorySessions();
    const conversations = conversationsOn(store);

    // Act
    const { session } = await conversations.current(msg, { deferCreate: true });
    const writesBefore = store.profileWrites.length;
    await conversations.storeStart(session);

    // Assert
    expect(session.unsaved).toBe(true);
    expect(writesBefore).toBe(0);
    expect(store.profiles.get(5)?.activeSessions).toEqual({ llama3: session.sessionId });
  });

  it("points another invoke's newer profile at the session instead of failing the turn (a lease overlap)", async () => {
    // Arrange: the profile is read, then another invoke stores a newer one (/model mistral)
    const store = new MemorySessions();
    const conversations = conversationsOn(store);
    const { session } = await conversations.current(msg, { deferCreate: true });
    const newer: UserProfile = {
      userId: 5,
      chatId: 5,
      currentModel: "mistral",
      activeSessions: { mistral: "20261126T115900Z-aaaaaa" },
      lastUpdateId: 101,
      user: { id: 5, firstName: "Ada" },
    };
    store.profiles.set(5, newer);

    // Act
    await conversations.storeStart(session);

    // Assert: the newer profile is kept, with this session added beside its own
    expect(store.profiles.get(5)).toEqual({
      ...newer,
      activeSessions: { mistral: "20261126T115900Z-aaaaaa", llama3: session.sessionId },
    });
  });
});
