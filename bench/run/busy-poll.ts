/**
 * Keeps the load process's event loop from sleeping (`--busy-poll`). An idle process waits in epoll_wait
 * and its CPU halts; a message arriving then pays for waking that CPU, about 100 µs at p50 on this 2-core VM,
 * which swamps the 10–50 µs differences between transports at low rates. With a setImmediate chain always
 * pending, libuv polls with a zero timeout, so a message is read on the next loop turn instead. The price:
 * the load process shows about 100 % CPU, so while it is on, generator saturation is judged by event-loop
 * delay alone (bench/measure/summarise.ts).
 */

let holders = 0;
let spinning = false;

function spin(): void {
  if (holders > 0) setImmediate(spin);
  else spinning = false;
}

/** Starts busy polling (nested starts share one loop); call the returned function to stop it. */
export function startBusyPoll(): () => void {
  holders++;
  if (!spinning) {
    spinning = true;
    setImmediate(spin);
  }
  let stopped = false;
  return () => {
    if (stopped) return;
    stopped = true;
    holders--;
  };
}

/** Whether busy polling is on now. */
export function busyPolling(): boolean {
  return holders > 0;
}
