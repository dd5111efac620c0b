"""The page: header, Launch / Runs / Benchmarks tabs, session restore, and serving it until SIGTERM.

Kept apart from `ui.app` so that `idgraph` subcommands other than `ui` never import Gradio.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from dataclasses import dataclass
from typing import Any

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import gradio as gr  # noqa: E402  (the environment above must be set before import)

from . import bench_tab, form as form_tab, runs_tab, views  # noqa: E402
from .context import AppContext  # noqa: E402

# Seconds the runner gets to stop workers on shutdown; the whole exit stays under 15 s.
SHUTDOWN_SECONDS = 10.0

# Colours meet WCAG 2.1 AA (text contrast >= 4.5:1 on white, checked by tests/test_ui_e2e.py),
# and every focusable control shows a visible focus ring.
CSS = """
:root, .gradio-container {
  --body-text-color-subdued: #4b5563; --block-info-text-color: #4b5563; --block-label-text-color: #374151;
  --block-title-text-color: #374151; --input-placeholder-color: #6b7280;
  --button-primary-background-fill: #4338ca; --button-primary-background-fill-hover: #3730a3; --button-primary-text-color: #ffffff;
  --button-secondary-text-color: #1f2937; --link-text-color: #3730a3;
  --color-accent: #4338ca; --checkbox-label-background-fill-selected: #4338ca; --checkbox-background-color-selected: #4338ca;
}
.stepper { display: flex; flex-wrap: wrap; gap: 4px 18px; list-style: none; padding: 0; margin: 4px 0 2px; }
.stepper .step { font-size: 0.92em; color: #4b5563; }
.stepper .step .num { margin-right: 2px; }
.stepper .step.current { color: #1e1b4b; font-weight: 700; text-decoration: underline; text-underline-offset: 4px; }
.stepper .step.done { color: #374151; }
.stepper .step.done::before { content: "✓ "; }
.step-heading { font-size: 1.25em; margin: 8px 0 0; }
.field-error, .field-error p { color: #b71c1c !important; font-size: 0.9em; margin-top: -6px !important; }
#form-message p { margin: 6px 0; }
/* Gradio's request timer ("queue: 1/1 | 1.0s") inside the live region and the error boxes would be read out as the message. */
#form-message [data-testid="status-tracker"], .field-error [data-testid="status-tracker"], #destination-preview [data-testid="status-tracker"],
#expected-total [data-testid="status-tracker"] { display: none !important; }
input:focus-visible, textarea:focus-visible, button:focus-visible, select:focus-visible, [tabindex]:focus-visible, a:focus-visible {
  outline: 3px solid #4338ca !important; outline-offset: 2px !important;
}
footer, footer * { color: #374151 !important; }
/* The code viewers' pastel token colours fall to 1.6:1 on white: code is shown in body text colour. */
.cm-editor .cm-content, .cm-editor .cm-content * { color: #1f2937 !important; }
.cm-editor .cm-gutters, .cm-editor .cm-gutters * { color: #4b5563 !important; }
.preview-table { overflow-x: auto; max-width: 100%; }
.preview-table table { font-size: 0.8em; border-collapse: collapse; }
.preview-table th, .preview-table td { padding: 2px 6px; white-space: nowrap; }
#review-preview h4 { margin: 10px 0 2px; }
"""

# Ties each visible error to its field (aria-invalid, aria-describedby), names radio groups
# by their label, makes the form message a polite live region and replaces Gradio's
# untranslated "common.*" status keys and its "undefined plot" alt text with words.
A11Y_HEAD = """<script>
(() => {
  const set = (el, name, value) => {
    if (value === null) { if (el.hasAttribute(name)) el.removeAttribute(name); }
    else if (el.getAttribute(name) !== value) el.setAttribute(name, value);
  };
  const sync = () => {
    document.querySelectorAll('[id^="error-"]').forEach((box) => {
      const field = document.getElementById('field-' + box.id.slice(6));
      if (!field) return;
      const shown = box.offsetParent !== null && box.innerText.trim() !== '';
      field.querySelectorAll('input:not([type=radio]):not([type=checkbox]), textarea').forEach((input) => {
        set(input, 'aria-invalid', shown ? 'true' : null);
        set(input, 'aria-describedby', shown ? box.id : null);
      });
    });
    document.querySelectorAll('fieldset').forEach((group) => {
      if (!group.querySelector('input[type=radio]')) return;
      const title = group.querySelector('[data-testid="block-info"]');
      set(group, 'role', 'radiogroup');
      if (title && title.textContent.trim()) set(group, 'aria-label', title.textContent.trim());
    });
    const message = document.getElementById('form-message');
    if (message) { set(message, 'role', 'status'); set(message, 'aria-live', 'polite'); }
    document.querySelectorAll('.sr-only, [aria-live]').forEach((el) => {
      if (el.children.length === 0 && /^common\\.[a-z_]+$/.test(el.textContent.trim())) el.textContent = 'Form updated';
    });
    document.querySelectorAll('img[alt^="undefined"]').forEach((img) => {
      const block = img.closest('.block');
      const label = block && block.querySelector('[data-testid="block-label"], label');
      const text = label ? label.textContent.trim() : '';
      set(img, 'alt', text && text !== 'Plot' ? text : 'Chart of the benchmark results');
    });
  };
  let queued = false;
  new MutationObserver(() => { if (!queued) { queued = true; requestAnimationFrame(() => { queued = false; sync(); }); } })
    .observe(document.documentElement, { subtree: true, childList: true, characterData: true, attributes: true, attributeFilter: ['style', 'class', 'hidden'] });
})();
</script>"""


@dataclass
class Page:
    """The built page and its parts, so handlers can be called directly (tests do)."""

    ctx: AppContext
    demo: gr.Blocks
    tabs: Any
    form: form_tab.Form
    runs: runs_tab.RunsTab
    bench: bench_tab.BenchTab

    def launch(self, session: str, step: int, confirmed: bool, *raw: Any) -> dict[Any, Any]:
        """Launch from the review step; on success switch to the Runs tab showing the new run."""
        run_id, updates = self.form.on_launch(session, step, confirmed, *raw)
        if run_id is None:
            return updates
        choices = [(views.run_label(r), r["run_id"]) for r in self.ctx.runner.runs_for(session)]
        run_select, shown = self.runs.parts["run_select"], self.runs.parts["shown"]
        return {**updates, self.tabs: gr.Tabs(selected="runs"), run_select: gr.update(choices=choices, value=run_id), shown: {}}


def session_text(session: str) -> str:
    return f"Session `{session}` · bookmark this page's address to come back to this form and its runs."


# Puts the session id into the address bar without reloading, so a bookmark resumes it.
SESSION_URL_JS = (
    "(session) => { const url = new URL(window.location); if (session && url.searchParams.get('session') !== session) "
    "{ url.searchParams.set('session', session); window.history.replaceState(null, '', url); } }"
)


def build_page(ctx: AppContext) -> Page:
    """The whole page: header, Launch / Runs / Benchmarks tabs, session restore on load."""
    with gr.Blocks(title="idgraph: synthetic identity graph", analytics_enabled=False) as demo:
        gr.Markdown(
            "# idgraph · synthetic identity graph\n"
            "Generate a consistent marketing identity graph (households, people, identifiers, engagement, campaigns, responses) "
            "from one seed. Fill in the six steps, launch, and watch it being written and validated."
        )
        session_note = gr.Markdown(elem_id="session-note")
        with gr.Tabs() as tabs:
            with gr.Tab("Launch", id="launch"):
                form = form_tab.build(ctx)
            with gr.Tab("Runs", id="runs"):
                runs = runs_tab.build(ctx, form.session)
            with gr.Tab("Benchmarks", id="bench"):
                bench = bench_tab.build(ctx)
        page = Page(ctx, demo, tabs, form, runs, bench)
        launch_outputs = [*form.outputs(), tabs, runs.parts["run_select"], runs.parts["shown"]]
        form.parts["launch"].click(page.launch, [form.session, form.step, form.parts["confirmed"], *form.input_list], launch_outputs, api_name="launch")
        loaded = demo.load(form.on_load, None, form.outputs(), api_name="load_session")
        loaded.then(session_text, form.session, session_note, api_visibility="private").then(None, form.session, None, js=SESSION_URL_JS)
        loaded.then(form.on_preview, [form.session, form.step, *form.input_list], form.parts["rows_preview"], show_progress="hidden", api_visibility="private")
        demo.load(bench.on_refresh, None, [bench.parts[k] for k in bench_tab.VIEW], api_visibility="private")
    return page


def build_app(ctx: AppContext) -> gr.Blocks:
    """The Gradio Blocks of the app."""
    return bound_session_state(build_page(ctx).demo)


def bound_session_state(demo: gr.Blocks) -> gr.Blocks:
    """Keep each Gradio session's state the size of the page, however many events it runs.

    Gradio (6.x, `Blocks.postprocess_data`) answers every property update of an output, and
    the empty update it sends for each output a handler's dict leaves out, by storing in the
    session a new copy of the component, with a new `_id`, under the component's own id. When
    that copy is next an event's input (`preprocess_data`) or gets a plain value, Gradio finds
    it by the original id but files it again under the copy's new id
    (`SessionState.blocks_config.blocks[new_id]` and `SessionState.config_values[new_id]`),
    and nothing ever removes it: a launch, whose outputs are the whole form, left about 48
    components and their configs (about 0.35 MiB) in its session for good. Those entries are
    under ids the page never uses (its components keep their first ids), so after each event
    they are dropped; the copies the page's ids point to are kept.
    """
    process_api = demo.process_api

    async def process_api_bounded(*args: Any, **kwargs: Any) -> Any:
        try:
            return await process_api(*args, **kwargs)
        finally:
            state = kwargs.get("state", args[2] if len(args) > 2 else None)
            if state is not None:
                drop_stray_blocks(demo, state)

    demo.process_api = process_api_bounded  # type: ignore[method-assign]
    return demo


def drop_stray_blocks(demo: gr.Blocks, state: Any) -> int:
    """Remove from a session's state the entries under ids that are not the page's; returns how many."""
    page_ids = demo.default_config.blocks.keys() | demo.blocks.keys()
    stray = [key for key in state.blocks_config.blocks if key not in page_ids and key not in state.state_data]
    for key in stray:
        del state.blocks_config.blocks[key]
        state.config_values.pop(key, None)
    for key in [key for key in state.config_values if key not in page_ids and key not in state.state_data]:
        del state.config_values[key]
        stray.append(key)
    return len(stray)


# What Gradio accepts at all, well above a config file's limit.
UPLOAD_LIMIT_BYTES = 10 * 1024 * 1024


def serve(ctx: AppContext, host: str, port: int, ready: threading.Event | None = None, stop: threading.Event | None = None) -> int:
    """Serve until SIGTERM/SIGINT (or `stop`), then stop the runs and exit cleanly."""
    stop = stop or threading.Event()
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda signum, frame: stop.set())
    demo = build_app(ctx)
    started = time.perf_counter()
    demo.queue(default_concurrency_limit=16).launch(
        server_name=host, server_port=port, prevent_thread_lock=True, quiet=True, ssr_mode=False, theme=gr.themes.Soft(primary_hue="indigo"), css=CSS, head=A11Y_HEAD, footer_links=["api"],
        # Gradio refuses a truly huge upload before writing it to its temporary folder; one over the
        # config limit (steps.CONFIG_FILE_LIMIT_BYTES) but under this gets the form's own message.
        max_file_size=UPLOAD_LIMIT_BYTES,
    )
    print(f"idgraph ui: listening on http://{host}:{port} (state in {ctx.store.root}; started in {time.perf_counter() - started:.1f}s)", flush=True)
    if ready is not None:
        ready.set()
    while not stop.wait(0.5):
        pass
    print("idgraph ui: stopping: ending active runs and removing partial output", flush=True)
    ctx.runner.shutdown(timeout=SHUTDOWN_SECONDS)
    ctx.bench.stop()
    demo.close()
    print("idgraph ui: stopped", flush=True)
    return 0


