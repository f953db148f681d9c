export const handler = async (): Promise<{ ok: true }> => ({ ok: true });
