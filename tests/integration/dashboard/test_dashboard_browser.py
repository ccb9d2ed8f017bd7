"""The dashboard in headless Chromium against a real lattice (a host process, actors, a provider process): it
shows what runs with hostile strings as plain text, a scale action changes what the control client sees, an
event appears live, bad actions show their error, and an app deploys and undeploys. Screenshots are saved under
the test's tmp dir (and in ``$WASMLATTICE_SCREENSHOTS_DIR`` when set, see tools/docs_screenshots.py)."""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from lattice import keys
from lattice.wire import LinkDefinition
from tests.integration.dashboard.dashboard_support import (
    CHROMIUM,
    CHROMIUM_ARGS,
    HOSTILE_LABEL,
    HOSTILE_NAME,
    LiveLattice,
    live_lattice,
    require_chromium,
)
from tests.integration.examples.examples_support import EXAMPLES
from tests.support.waiting import wait_until

pytestmark = [pytest.mark.slow, pytest.mark.asyncio(loop_scope="module")]
UI_TIMEOUT_MS = 30_000
SCREENSHOTS_ENV = "WASMLATTICE_SCREENSHOTS_DIR"


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def lattice(nats_url: str, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[LiveLattice]:
    require_chromium()
    async with live_lattice(nats_url, tmp_path_factory.mktemp("dashboard")) as live:
        yield live


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def page(lattice: LiveLattice) -> AsyncIterator[Any]:
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        context = await pw.chromium.launch_persistent_context(
            str(lattice.tmp / "chromium-profile"),
            executable_path=str(CHROMIUM),
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1500, "height": 1100},
        )
        context.set_default_timeout(UI_TIMEOUT_MS)
        page = context.pages[0] if context.pages else await context.new_page()
        await page.goto(lattice.dashboard.url)
        try:
            yield page
        finally:
            await context.close()


async def screenshot(page: Any, lattice: LiveLattice, name: str) -> Path:
    path = lattice.tmp / "screenshots" / f"{name}.png"
    path.parent.mkdir(exist_ok=True)
    await page.screenshot(path=str(path), full_page=True)
    if os.environ.get(SCREENSHOTS_ENV):
        shutil.copy(path, Path(os.environ[SCREENSHOTS_ENV]) / path.name)
    return path


async def test_the_page_shows_the_lattice_with_hostile_strings_as_text(page: Any, lattice: LiveLattice) -> None:
    from playwright.async_api import expect

    host_row = page.locator(f'[data-testid="host-{lattice.host_id}"]')
    await expect(host_row.get_by_test_id("host-labels")).to_contain_text(f"note={HOSTILE_LABEL}")
    echo = page.locator(f'[data-testid="actor-{lattice.echo}"]')
    await expect(echo.get_by_test_id("actor-total")).to_have_text("1")
    hostile = page.locator(f'[data-testid="actor-{lattice.hostile}"]')
    await expect(hostile.get_by_test_id("actor-name")).to_have_text(HOSTILE_NAME)
    await expect(page.locator(f'[data-testid="provider-{lattice.httpserver}"]')).to_contain_text("wasmcloud:httpserver")
    await expect(page.locator('table[data-testid="claims"]')).to_contain_text(HOSTILE_NAME)
    await expect(page.get_by_test_id("stream")).to_have_text("(live)")
    assert await page.evaluate("window.__pwned") is None
    assert await page.locator("script").count() == 1
    assert await page.locator("img").count() == 0
    await screenshot(page, lattice, "dashboard")


async def test_a_new_event_appears_live(page: Any, lattice: LiveLattice) -> None:
    from playwright.async_api import expect

    provider = keys.KeyPair.create(keys.KeyType.SERVICE).public_key
    await lattice.ctl.put_link(LinkDefinition(lattice.echo, provider, "wasmcloud:example", "live", {"why": "<b>x</b>"}))
    event = page.get_by_test_id("event").filter(has_text="linkdef_set").filter(has_text=provider)
    await expect(event).to_have_count(1)
    await expect(event.get_by_test_id("event-data")).to_contain_text('"why":"<b>x</b>"')
    await expect(page.locator("#events b, table b")).to_have_count(0)  # shown as text, never as markup
    await expect(page.locator('table[data-testid="links"]')).to_contain_text("why=<b>x</b>")
    await screenshot(page, lattice, "dashboard-events")


async def test_scaling_from_the_page_changes_the_inventory(page: Any, lattice: LiveLattice) -> None:
    from playwright.async_api import expect

    row = page.locator(f'[data-testid="actor-{lattice.echo}"]')
    await row.get_by_test_id("scale-count").fill("3")
    await row.get_by_test_id("scale").click()
    await expect(page.get_by_test_id("notice")).to_contain_text("scaling")

    async def echo_instances() -> bool:
        inventory = await lattice.ctl.get_inventory(lattice.host_id)
        return {a.id: len(a.instances) for a in inventory.actors}.get(lattice.echo) == 3

    await wait_until(echo_instances, UI_TIMEOUT_MS / 1000, "3 echo instances in the inventory")
    await expect(row.get_by_test_id("actor-total")).to_have_text("3")
    await screenshot(page, lattice, "dashboard-scaled")


@pytest.mark.parametrize(
    ("script", "shown"),
    [
        ("act('scale_actor', {host: HOST, actor_ref: 'x', count: -1})", "scale actor failed: count must be 0 or more"),
        ("act('start_actor', {actor_ref: 'file:///x.wasm', host: 'no-such-host'})", "'no-such-host' matches no host"),
        ("act('stop_actor', {host: GONE, actor_id: 'M'})", "does not answer"),
        ("act('start_provider', {provider_ref: 'python:x', config: '{bad'})", "config is not valid JSON"),
        ("act('launch_rockets', {})", "launch rockets failed: unknown action 'launch_rockets'"),
    ],
)
async def test_a_bad_action_shows_its_error(page: Any, lattice: LiveLattice, script: str, shown: str) -> None:
    from playwright.async_api import expect

    gone = keys.KeyPair.create(keys.KeyType.SERVER).public_key  # a host that vanished (or never was)
    await page.evaluate(f"const HOST = {lattice.host_id!r}, GONE = {gone!r}; {script}")
    await expect(page.get_by_test_id("error")).to_contain_text(shown)
    if "no-such-host" in script:
        await screenshot(page, lattice, "dashboard-error")


async def test_an_app_deploys_and_undeploys_from_the_page(page: Any, lattice: LiveLattice) -> None:
    from playwright.async_api import expect

    manifest = lattice.tmp / "tiny.yaml"
    manifest.write_text(
        "apiVersion: core.oam.dev/v1beta1\nkind: Application\nmetadata: {name: tiny, annotations: {version: v1}}\n"
        "spec:\n  components:\n    - name: ponger\n      type: actor\n"
        f"      properties: {{image: {EXAMPLES / 'ponger' / 'ponger.wasm'}}}\n"
        "      traits: [{type: spreadscaler, properties: {replicas: 1}}]\n"
    )
    form = page.locator("#deploy-app")
    await form.locator('input[name="path"]').fill(str(manifest))
    await form.get_by_role("button").click()
    await expect(page.get_by_test_id("notice")).to_contain_text("stored application 'tiny'")
    row = page.get_by_test_id("app-tiny")
    await expect(row.get_by_test_id("app-status")).to_have_text("ready", timeout=60_000)
    await screenshot(page, lattice, "dashboard-app")
    await row.get_by_role("button", name="Undeploy").click()
    await expect(page.get_by_test_id("notice")).to_contain_text("undeployed 'tiny'")
    await expect(row).to_have_count(0)
