import { describe, expect, it } from "vitest";
import { type AdmitAttempt, createAdmission } from "./admission.ts";

const busy = (n: number) => `busy (${n} waiting)`;

describe("admission", () => {
  it("admits at once when miners are free, refuses at once when the attempt says so", async () => {
    const a = createAdmission();
    expect(await a.admit(() => ({ picked: [1, 2] }), busy)).toEqual([1, 2]);
    await expect(a.admit(() => ({ refuse: "0 of 3 miners live" }), busy)).rejects.toMatchObject({
      message: "0 of 3 miners live",
      retryable: true,
    });
  });

  it("waits for capacity and tries again on wake", async () => {
    const a = createAdmission({ timeoutMs: 5_000 });
    let free = false;
    const attempt = (): AdmitAttempt => (free ? { picked: [7] } : undefined);
    const admitted = a.admit(attempt, busy);
    await new Promise((r) => setTimeout(r, 10));
    expect(a.waiting()).toBe(1);
    a.wake(); // still busy: waits again
    await new Promise((r) => setTimeout(r, 10));
    expect(a.waiting()).toBe(1);
    free = true;
    a.wake();
    expect(await admitted).toEqual([7]);
    expect(a.waiting()).toBe(0);
  });

  it("is bounded: past its timeout, and beyond maxWaiting, a request is refused at once", async () => {
    const a = createAdmission({ timeoutMs: 50, maxWaiting: 2 });
    const never = () => undefined;
    const first = a.admit(never, busy);
    const second = a.admit(never, busy);
    await new Promise((r) => setTimeout(r, 5));
    await expect(a.admit(never, busy)).rejects.toThrow("busy (2 waiting)");
    await expect(first).rejects.toThrow(/busy/);
    await expect(second).rejects.toThrow(/busy/);
    expect(a.waiting()).toBe(0);
  });

  it("serves waiting requests first come, first served: a newcomer never takes capacity ahead of them", async () => {
    const a = createAdmission({ timeoutMs: 5_000 });
    let slots = 0;
    const attempt = (): AdmitAttempt => {
      if (slots === 0) return undefined;
      slots--;
      return { picked: [1] };
    };
    const order: string[] = [];
    const admitted = ["first", "second", "third"].map((name) =>
      a.admit(attempt, busy).then(() => {
        order.push(name);
      }),
    );
    expect(a.waiting()).toBe(3);
    slots = 1; // one slot frees up and a newcomer arrives before any wake: it must queue, the oldest gets the slot
    const late = a.admit(attempt, busy).then(() => {
      order.push("late");
    });
    await new Promise((r) => setTimeout(r, 5));
    expect(order).toEqual(["first"]);
    expect(a.waiting()).toBe(3);
    slots = 2;
    a.wake();
    await new Promise((r) => setTimeout(r, 5));
    expect(order).toEqual(["first", "second", "third"]);
    slots = 1;
    a.wake();
    await Promise.all([...admitted, late]);
    expect(order).toEqual(["first", "second", "third", "late"]);
    expect(a.waiting()).toBe(0);
  });

  it("a waiting request that cannot be served does not block one that can (another session's miners)", async () => {
    const a = createAdmission({ timeoutMs: 5_000 });
    let otherFree = false;
    const blocked = a.admit(() => undefined, busy);
    const other = a.admit(() => (otherFree ? { picked: [9] } : undefined), busy);
    otherFree = true;
    a.wake();
    expect(await other).toEqual([9]);
    expect(a.waiting()).toBe(1);
    await expect(Promise.race([blocked, new Promise((r) => setTimeout(() => r("waiting"), 20))])).resolves.toBe(
      "waiting",
    );
  });

  it("an attempt that throws rejects only its own request", async () => {
    const a = createAdmission({ timeoutMs: 5_000 });
    let fail = false;
    const bad = a.admit(() => {
      if (fail) throw new Error("state read failed");
      return undefined;
    }, busy);
    let free = false;
    const good = a.admit(() => (free ? { picked: [2] } : undefined), busy);
    fail = true;
    free = true;
    a.wake();
    await expect(bad).rejects.toThrow("state read failed");
    expect(await good).toEqual([2]);
  });
});
