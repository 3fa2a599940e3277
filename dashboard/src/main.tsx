import { Component, type ReactNode, StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { App } from "./App.tsx";
import { parseDashboardConfig } from "./runtimeConfig.ts";
import "./styles.css";

/** Last line of defence: a render error shows a sentence and a reload button, never a blank page. */
class Boundary extends Component<{ children: ReactNode }, { error: Error | null }> {
  override state = { error: null as Error | null };
  static getDerivedStateFromError(error: Error) {
    return { error };
  }
  override render() {
    if (!this.state.error) return this.props.children;
    return <Fatal title="Something on this page broke" detail={this.state.error.message.split("\n")[0] ?? ""} />;
  }
}

function Fatal({ title, detail }: { title: string; detail: string }) {
  return (
    <div className="app">
      <main>
        <div className="state error" role="alert" data-state="error">
          <strong>{title}</strong>
          <p>{detail}</p>
          <button type="button" onClick={() => window.location.reload()}>
            Reload
          </button>
        </div>
      </main>
    </div>
  );
}

const root = createRoot(document.getElementById("root") as HTMLElement);

async function boot() {
  let config: ReturnType<typeof parseDashboardConfig>;
  try {
    const res = await fetch("/config.json", { cache: "no-store" });
    if (!res.ok) throw new Error(`GET /config.json answered HTTP ${res.status}`);
    config = parseDashboardConfig(await res.json());
  } catch (err) {
    root.render(
      <Fatal
        title="The dashboard has no usable configuration"
        detail={`${(err as Error).message}. Serve a config.json next to index.html (see docs/dashboard.md).`}
      />,
    );
    return;
  }
  root.render(
    <StrictMode>
      <Boundary>
        <App config={config} />
      </Boundary>
    </StrictMode>,
  );
}

void boot();
