/**
 * A token's life starts over when it is new, when it was expired, and when it moves to another
 * user, whichever API does it (Courier's PUT and bulk PUT, the Devices API's registration): it
 * is written as a whole new registration, so nothing of a previous owner's properties, device
 * ids, tracking or status survives, and its history begins now. Every such write sets these.
 */
export function newLife(now: Date): { created_at: Date; last_used_at: null } {
  return { created_at: now, last_used_at: null };
}
