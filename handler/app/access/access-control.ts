import type { Access } from "../../config.js";
import type { Logger } from "../../log.js";
import type { AddressedMessage } from "../intake/addressing.js";
import type { AccessStore } from "../ports.js";

/** What {@link AccessControl.decide} concluded for one message. */
export type AccessDecision =
  /** The sender may use the bot. */
  | "allowed"
  /** The sender just became the bot's owner (first private message, ALLOWED_USER_IDS unset). */
  | "claimed"
  /** The sender may not: they get a refusal and the model is never called. */
  | "refused";

/** Settings of {@link AccessControl}. */
export interface AccessSettings {
  readonly access: Access;
  readonly adminUserIds: ReadonlySet<number>;
  readonly now: () => Date;
}

/**
 * Closed by default, open by choice. With ALLOWED_USER_IDS unset the first
 * user who writes in a private chat claims the bot; everyone else needs an
 * admin's `/allow`. `*` opens it to everyone; a list allows those ids. Groups
 * follow the same rules per sender.
 */
export class AccessControl {
  /** The owner never changes once claimed, so it is remembered for the life of the process. */
  private owner: number | undefined;

  constructor(
    private readonly store: AccessStore,
    private readonly settings: AccessSettings,
    private readonly log: Logger,
  ) {}

  /** Decides whether `msg`'s sender may use the bot, claiming it for them when nobody has. */
  async decide(msg: AddressedMessage): Promise<AccessDecision> {
    const { access } = this.settings;
    if (access.kind === "everyone") return "allowed";
    if (access.kind === "list" && access.ids.includes(msg.userId)) return "allowed";
    if (this.owner === msg.userId) return "allowed";
    const state = await this.store.get();
    if (state.ownerId !== undefined) this.owner = state.ownerId;
    if (state.ownerId === msg.userId || state.allowed.includes(msg.userId)) return "allowed";
    if (access.kind !== "owner" || state.ownerId !== undefined || msg.isGroup) return "refused";
    this.owner = await this.store.claimOwner(msg.userId, this.settings.now());
    if (this.owner !== msg.userId) return "refused";
    this.log.info("bot claimed: its first private-chat user is now its owner", {
      ownerId: msg.userId,
    });
    return "claimed";
  }

  /** True when `userId` may use admin commands (ADMIN_USER_IDS, else the owner or the allowlist's first id). */
  async isAdmin(userId: number): Promise<boolean> {
    const { access, adminUserIds } = this.settings;
    if (adminUserIds.size > 0) return adminUserIds.has(userId);
    if (access.kind === "list") return access.ids[0] === userId;
    if (access.kind === "everyone") return false;
    this.owner ??= (await this.store.get()).ownerId;
    return this.owner === userId;
  }

  /** Lets `userId` use the bot (an admin's `/allow`). */
  allow(userId: number): Promise<void> {
    return this.store.allow(userId);
  }
}

/** The reply to someone who may not use the bot: their id, and how the owner lets them in. */
export function refusalText(userId: number): string {
  return `Sorry, this is a private bot and you're not on its list of users. Ask its owner to add your Telegram user id, ${userId}: they can send /allow ${userId} to the bot.`;
}

/** What the first user is told when they claim the bot. */
export const CLAIMED_TEXT =
  "🔑 You are now this bot's owner: it was unclaimed and yours was the first private message, so from now on it answers only you and the people you let in with /allow <user id>. (Set ALLOWED_USER_IDS=* to open it to everyone.)";
