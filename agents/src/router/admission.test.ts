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
});
