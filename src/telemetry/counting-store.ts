// The Store with a count of its writes (sets and removes: each is an NVS write, and flash wears
// with them), so the heartbeat can report what the router costs its flash.
import type { Store } from "../ports";

export interface CountingStore extends Store {
  readonly writes: number;
}

export function countingStore(store: Store): CountingStore {
  let writes = 0;
  return {
    get: (key) => store.get(key),
    set: (key, value) => { writes++; store.set(key, value); },
    remove: (key) => { writes++; store.remove(key); },
    get writes() { return writes; },
  };
}
