/**
 * Try it: a wallet creates and funds a session that names the router, lets the router submit for it, then a
 * prompt goes to the router's Cortensor-style API and the answer streams back. Everything on-chain goes through
 * the SDK (createSessionWagmi, the viem action authorizeSubmitter on wagmi's wallet client, readNodeWagmi), the
 * stream through the SDK's router client: this page is the proof that the SDK works in a browser.
 */
import { useMutation, useQuery } from "@tanstack/react-query";
import { getConnection, getConnectorClient, switchChain } from "@wagmi/core";
import { type FormEvent, useState } from "react";
import { Link } from "react-router";
import { useConnect, useConnection, useConnectors, useDisconnect, useReadContract } from "wagmi";
import { authorizeSubmitter } from "../../../sdk/src/actions/authorizeSubmitter.ts";
import { createRouterClient } from "../../../sdk/src/router/client.ts";
import type { CorReceipt } from "../../../sdk/src/router/types.ts";
import { createSessionWagmi, parseCor, readNodeWagmi } from "../../../sdk/src/wagmi/index.ts";
import { describeError, Empty, ErrorState, Loading } from "../components/States.tsx";
import { cor, shortHex, taskLabel } from "../lib/format.ts";
import { useApp } from "../lib/hooks.ts";
import { absoluteUrl } from "../lib/indexer.ts";

function Wallet() {
  const { config } = useApp();
  const connection = useConnection();
  const connectors = useConnectors();
  const connect = useConnect();
  const disconnect = useDisconnect();
  if (connection.status === "connected") {
    return (
      <p data-testid="wallet" data-address={connection.address}>
        Connected <span className="mono">{connection.address}</span> via {connection.connector?.name}.{" "}
        <button type="button" onClick={() => disconnect.mutate()}>
          Disconnect
        </button>
      </p>
    );
  }
  const injectedAvailable = typeof window !== "undefined" && "ethereum" in window;
  return (
    <div className="wallets">
      {connectors.map((c) => {
        const dev = c.type === "mock";
        // One mock connector per dev account, in config order; injected ones: window.ethereum or EIP-6963 wallets.
        const devIndex = connectors.filter((x) => x.type === "mock").indexOf(c);
        const account = dev ? config.devAccounts[devIndex] : undefined;
        if (!dev && !injectedAvailable && c.id === "injected") return null;
        return (
          <button
            type="button"
            key={c.uid}
            onClick={() => connect.mutate({ connector: c })}
            disabled={connect.isPending}
            data-testid={dev ? `connect-dev-${devIndex}` : `connect-${c.id}`}
          >
            {dev ? `Dev account ${shortHex(account)}` : `Connect ${c.name}`}
          </button>
        );
      })}
      {!injectedAvailable && config.devAccounts.length === 0 && (
        <Empty>No wallet found: install a browser wallet (MetaMask, Rabby, …) to try the network.</Empty>
      )}
      {connect.isError && <ErrorState error={connect.error} source="The wallet" />}
    </div>
  );
}

type RouterInfo = { nodeId: number; account: `0x${string}`; minersLive: number };

function useRouterInfo() {
  const { config, cor: wagmi } = useApp();
  return useQuery({
    queryKey: ["router-info", config.routerUrl],
    enabled: config.routerUrl !== null,
    retry: 1,
    queryFn: async (): Promise<RouterInfo> => {
      const router = createRouterClient({ url: absoluteUrl(config.routerUrl ?? ""), timeout: 10_000 });
      const status = await router.getStatus();
      if (!status.router_node_id) throw new Error("The router did not report its node id");
      const node = await readNodeWagmi(wagmi, { nodeId: status.router_node_id });
      return { nodeId: status.router_node_id, account: node.account, minersLive: status.miners_live ?? 0 };
    },
  });
}

function Balance({ address }: { address: `0x${string}` }) {
  const { cor: wagmi } = useApp();
  const balance = useReadContract({
    ...wagmi.contracts.token,
    functionName: "balanceOf",
    args: [address],
    query: { refetchInterval: 3000 },
  });
  return (
    <span data-testid="balance" data-value={balance.data?.toString() ?? ""}>
      {balance.isError ? "balance unavailable" : balance.data === undefined ? "…" : cor(balance.data)}
    </span>
  );
}

function NumberField(p: { label: string; min: number; max: number; value: number; onChange: (v: number) => void }) {
  return (
    <label>
      {p.label}{" "}
      <input
        type="number"
        min={p.min}
        max={p.max}
        value={p.value}
        onChange={(e) => p.onChange(Number(e.target.value))}
      />
    </label>
  );
}

function CreateSession({ router, onCreated }: { router: RouterInfo; onCreated: (id: number) => void }) {
  const { cor: wagmi, config } = useApp();
  const [deposit, setDeposit] = useState("10");
  const [maxTokens, setMaxTokens] = useState(64);
  const [redundancy, setRedundancy] = useState(1);
  const create = useMutation({
    mutationFn: async () => {
      // An injected wallet may sit on another chain: ask it to switch first (it prompts the user).
      if (getConnection(wagmi.config).chainId !== config.chainId) {
        await switchChain(wagmi.config, { chainId: config.chainId });
      }
      const { sessionId } = await createSessionWagmi(wagmi, {
        deposit: parseCor(deposit),
        redundancy,
        validation: "ExactMatch",
        assignment: "Router",
        routerId: router.nodeId,
        maxTokens,
        windows: { precommit: 30, reveal: 30, attest: 30 },
      });
      const client = await getConnectorClient(wagmi.config);
      await authorizeSubmitter(client, { network: config.deployment.network, sessionId, submitter: router.account });
      return sessionId;
    },
    onSuccess: onCreated,
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    create.mutate();
  };
  return (
    <form className="form" onSubmit={submit} data-testid="create-session">
      <label>
        Deposit (COR) <input value={deposit} onChange={(e) => setDeposit(e.target.value)} inputMode="decimal" />
      </label>
      <NumberField label="Max tokens" min={1} max={512} value={maxTokens} onChange={setMaxTokens} />
      <NumberField label="Miners per task (R)" min={1} max={7} value={redundancy} onChange={setRedundancy} />
      <button type="submit" disabled={create.isPending}>
        {create.isPending ? "Creating, funding, authorizing the router…" : "Create and fund a session"}
      </button>
      {create.isError && <ErrorState error={create.error} source="Creating the session" />}
    </form>
  );
}

function Prompt({ sessionId }: { sessionId: number }) {
  const { config } = useApp();
  const [prompt, setPrompt] = useState("Once upon a time");
  const [text, setText] = useState("");
  const [taskId, setTaskId] = useState<bigint | null>(null);
  const [receipt, setReceipt] = useState<CorReceipt | null>(null);
  const send = useMutation({
    mutationFn: async () => {
      setText("");
      setTaskId(null);
      setReceipt(null);
      const router = createRouterClient({ url: absoluteUrl(config.routerUrl ?? "") });
      const stream = await router.streamSessionCompletions({ session_id: sessionId, prompt, max_tokens: 48 });
      if (stream.taskId !== undefined) setTaskId(stream.taskId);
      for await (const chunk of stream) {
        const piece = chunk.choices[0]?.text ?? "";
        if (piece) setText((t) => t + piece);
        if (chunk.cor) {
          setReceipt(chunk.cor);
          setTaskId(BigInt(chunk.cor.task_id));
        }
      }
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    send.mutate();
  };
  return (
    <form className="form" onSubmit={submit}>
      <label className="grow">
        Prompt
        <textarea value={prompt} onChange={(e) => setPrompt(e.target.value)} rows={3} data-testid="prompt" />
      </label>
      <button type="submit" disabled={send.isPending || !prompt.trim()} data-testid="send-prompt">
        {send.isPending ? "Streaming…" : "Send"}
      </button>
      <pre
        className="result-text stream"
        data-testid="stream-output"
        data-done={String(receipt !== null)}
        aria-live="polite"
      >
        <span className="prompt-echo">{prompt}</span>
        <span data-testid="stream-text">{text}</span>
        {send.isPending && <span className="cursor">▍</span>}
      </pre>
      {taskId !== null && (
        <p data-testid="stream-task" data-task-id={taskId.toString()}>
          Task <Link to={`/tasks/${taskId}`}>{taskLabel(taskId)}</Link>
          {receipt && (
            <>
              {" "}
              · {receipt.status}
              {receipt.verified_text_matches_stream !== undefined &&
                (receipt.verified_text_matches_stream
                  ? " · the streamed text is the accepted result"
                  : " · the accepted result differs from the stream")}
              {" · "}
              <Link to={`/tasks/${taskId}`}>open in the explorer and verify</Link>
            </>
          )}
        </p>
      )}
      {send.isError && <ErrorState error={send.error} source="The router" />}
    </form>
  );
}

export function TryIt() {
  const { config } = useApp();
  const connection = useConnection();
  const router = useRouterInfo();
  const [sessionId, setSessionId] = useState<number | null>(null);
  if (config.routerUrl === null) {
    return (
      <div className="page">
        <h1>Try it</h1>
        <Empty>This deployment's config has no router URL, so prompts cannot be sent from here.</Empty>
      </div>
    );
  }
  return (
    <div className="page">
      <h1>Try it</h1>
      <section className="panel wide">
        <h2>1. Wallet</h2>
        <Wallet />
        {connection.address && (
          <p>
            COR balance: <Balance address={connection.address} />
          </p>
        )}
      </section>
      <section className="panel wide">
        <h2>2. Session</h2>
        {router.isLoading && <Loading what="the router" />}
        {router.isError && (
          <div className="state error" role="alert" data-state="error">
            <strong>The router is unavailable</strong>
            <p>{describeError(router.error, "Prompts").detail}</p>
          </div>
        )}
        {router.data && (
          <p className="hint">
            Router node {router.data.nodeId} ({shortHex(router.data.account)}), {router.data.minersLive} miners
            connected. The session names it as its router and authorizes it to submit.
          </p>
        )}
        {sessionId !== null ? (
          <p data-testid="session-ready" data-session-id={sessionId}>
            Session <Link to={`/sessions/${sessionId}`}>#{sessionId}</Link> is funded and the router may submit to it.{" "}
            <button type="button" onClick={() => setSessionId(null)}>
              New session
            </button>
          </p>
        ) : connection.status !== "connected" ? (
          <p className="hint">Connect a wallet first.</p>
        ) : router.data ? (
          <CreateSession router={router.data} onCreated={setSessionId} />
        ) : null}
      </section>
      <section className="panel wide">
        <h2>3. Prompt</h2>
        {sessionId === null ? <p className="hint">Create a session first.</p> : <Prompt sessionId={sessionId} />}
      </section>
    </div>
  );
}
