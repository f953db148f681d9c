import type { Update } from "@grammyjs/types";

/**
 * Groups a batch into lanes that may run concurrently: two updates share a lane
 * when they come from the same chat or the same user (transitively), so each
 * chat sees its answers in order and a user's session has one writer.
 * Lanes keep Telegram's order inside them.
 */
export function toLanes(updates: readonly Update[]): Update[][] {
  const parent = new Map<string, string>();
  const find = (x: string): string => {
    let root = x;
    while (parent.get(root) !== root) root = parent.get(root) ?? root;
    parent.set(x, root);
    return root;
  };
  const union = (a: string, b: string) => {
    if (!parent.has(a)) parent.set(a, a);
    if (!parent.has(b)) parent.set(b, b);
    const ra = find(a);
    const rb = find(b);
    if (ra !== rb) parent.set(ra, rb);
  };
  // Updates are not validated yet here: a malformed one (no chat, no sender) gets a lane of its own.
  const keyOf = (u: Update): string[] => {
    const m = u.message ?? u.edited_message ?? u.callback_query?.message;
    const from = u.message?.from ?? u.edited_message?.from ?? u.callback_query?.from;
    const chatId: unknown = m?.chat?.id;
    const fromId: unknown = from?.id;
    const keys = [typeof chatId === "number" ? `c${chatId}` : `u${u.update_id}`];
    if (typeof fromId === "number") keys.push(`f${fromId}`);
    return keys;
  };
  for (const u of updates) {
    const [first, ...rest] = keyOf(u);
    if (first === undefined) continue;
    union(first, first);
    for (const k of rest) union(first, k);
  }
  const lanes = new Map<string, Update[]>();
  for (const u of updates) {
    const root = find(keyOf(u)[0] ?? `u${u.update_id}`);
    const lane = lanes.get(root) ?? [];
    lane.push(u);
    lanes.set(root, lane);
  }
  return [...lanes.values()];
}
