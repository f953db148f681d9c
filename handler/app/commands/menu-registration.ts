import { TokenRejectedError } from "../../errors.js";
import { errorFields, type Logger } from "../../log.js";
import type { ChatGateway, PollerState } from "../ports.js";
import { commandMenu } from "./commands.js";

/**
 * Keeps Telegram's command menu (the "/" list) in step with {@link commandMenu}.
 * The menu's version is stored in the poller state, so it is sent once per
 * change, not once per invoke.
 */
export class MenuRegistration {
  private readonly menu = commandMenu();
  private readonly version = this.menu.map((c) => `${c.command}:${c.description}`).join("|");

  constructor(
    private readonly telegram: ChatGateway,
    private readonly log: Logger,
  ) {}

  /**
   * Registers the menu when `state` holds another version.
   * @returns the state to store: with the new version once Telegram took it.
   */
  async ensure(state: PollerState): Promise<PollerState> {
    if (state.commandsVersion === this.version) return state;
    try {
      await this.telegram.setCommands(this.menu);
      this.log.info("registered the command menu with Telegram", { commands: this.menu.length });
      return { ...state, commandsVersion: this.version };
    } catch (err) {
      // A rejected token stops the bot; saying it once, from the poller, is enough.
      if (err instanceof TokenRejectedError) throw err;
      this.log.warn(
        "could not register the command menu; will try again next invoke",
        errorFields(err),
      );
      return state;
    }
  }
}
