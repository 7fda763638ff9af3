"""Under OAuth (no cursor, no bulkRequest) reads page by $id and large writes go as sequential calls of 100; the
result says what atomicity was lost. Checked against the same operations done with a password."""

from __future__ import annotations

from contextlib import aclosing
from pathlib import Path

import httpx2
import pytest

from kintone_mcp.auth import Credentials, PasswordAuth
from kintone_mcp.client import KintoneClient
from kintone_mcp.client.errors import BulkWriteError, ValidationError
from kintone_mcp.sandbox import Sandbox, SandboxConfig
from kintone_mcp.sandbox.access.oauthclients import OAuthConfig
from tests.oauth.browser import BASE
from tests.oauth.signin import EpochClock, SignedIn, sign_in

pytestmark = pytest.mark.anyio


@pytest.fixture
def clock() -> EpochClock:
    return EpochClock()


@pytest.fixture
def sb(clock: EpochClock) -> Sandbox:
    # 1,234 deals: more than two pages of 500, and not a multiple of any page size used here.
    return Sandbox(SandboxConfig(demo=True, demo_records=1234, clock=clock, oauth=OAuthConfig()))


@pytest.fixture
async def signed(sb: Sandbox, clock: EpochClock, tmp_path: Path) -> SignedIn:
    return await sign_in(sb, clock, tmp_path)


def password_client(sb: Sandbox) -> KintoneClient:
    auth = PasswordAuth("sato", "sandbox")
    return KintoneClient(BASE, credentials=Credentials(rest=auth), transport=httpx2.ASGITransport(app=sb.asgi_app))


async def ids_of(client: KintoneClient, query: str, page_size: int = 500) -> list[int]:
    out: list[int] = []
    async with aclosing(client.iter_records(2, query=query, page_size=page_size)) as records:
        async for record in records:
            out.append(int(record.raw["$id"]["value"]))
    return out


@pytest.mark.parametrize(
    ("query", "page_size"),
    [
        ("", 500),
        ("amount >= 14850", 500),
        ('stage in ("Won", "Lost") or amount < 5000', 77),
        ("order by $id desc", 500),
        ("amount > 0 order by $id asc", 100),
    ],
)
async def test_keyset_paging_reads_what_the_cursor_reads(sb: Sandbox, signed: SignedIn, query: str,
                                                         page_size: int) -> None:
    async with password_client(sb) as with_cursor, signed.client() as with_oauth:
        expected = await ids_of(with_cursor, query, page_size)
        got = await ids_of(with_oauth, query, page_size)
    assert got == expected
    assert len(got) > page_size  # several pages were read
    assert sb.open_cursor_count() == 0


async def test_keyset_pages_count_the_matches_and_keep_only_the_fields_asked_for(signed: SignedIn) -> None:
    async with signed.client() as client:
        pages = client.iter_record_pages(2, query="amount >= 0", fields=["amount"], page_size=500)
        seen = []
        async with aclosing(pages):
            async for page in pages:
                seen.append(page)
    assert [len(p.records) for p in seen] == [500, 500, 234]
    assert {p.total_count for p in seen} == {1234}
    assert all(set(r.raw) == {"amount"} for p in seen for r in p.records)


async def test_an_order_other_than_id_is_paged_by_offset_in_that_order(sb: Sandbox, signed: SignedIn) -> None:
    query = "amount > 0 order by amount desc, $id asc"
    async with password_client(sb) as with_cursor, signed.client() as with_oauth:
        assert await ids_of(with_oauth, query, 200) == await ids_of(with_cursor, query, 200)


async def test_limit_and_offset_are_refused_as_by_the_cursor(signed: SignedIn) -> None:
    async with signed.client() as client:
        with pytest.raises(ValueError, match="limit or offset"):
            await ids_of(client, "limit 10")


async def test_more_than_100_records_go_as_sequential_calls_and_the_result_says_so(sb: Sandbox,
                                                                                  signed: SignedIn) -> None:
    async with signed.client() as client:
        result = await client.add_records(3, [{"subject": {"value": f"bulk {i}"}} for i in range(250)])
        small = await client.add_records(3, [{"subject": {"value": "one"}}])
    assert result.complete and len(result.ids) == 250
    assert [(t.start, t.stop) for t in result.committed] == [(0, 100), (100, 200), (200, 250)]
    assert result.atomicity_note is not None
    assert "3 separate calls" in result.atomicity_note and "not" in result.atomicity_note
    assert small.atomicity_note is None


async def test_without_oauth_the_note_stays_empty(sb: Sandbox) -> None:
    async with password_client(sb) as client:
        result = await client.add_records(3, [{"subject": {"value": f"bulk {i}"}} for i in range(150)])
    assert result.atomicity_note is None and len(result.committed) == 1


async def test_a_failing_call_leaves_the_earlier_calls_written_and_says_which(signed: SignedIn) -> None:
    records = [{"subject": {"value": f"r{i}"}} for i in range(250)]
    records[160] = {"subject": {"value": "x" * 70000}}  # longer than a SINGLE_LINE_TEXT may be
    async with signed.client() as client:
        with pytest.raises(BulkWriteError) as raised:
            await client.add_records(3, records)
    result = raised.value.result
    assert result.committed_count == 100
    assert result.failed is not None and (result.failed.start, result.failed.stop) == (100, 200)
    assert result.not_attempted_count == 50
    assert result.atomicity_note is not None


async def test_all_or_nothing_over_100_records_is_refused_up_front(sb: Sandbox, signed: SignedIn) -> None:
    async with signed.client() as client:
        before = (await client.get_records(3, total_count=True)).total_count
        with pytest.raises(ValueError, match="OAuth cannot use bulkRequest"):
            await client.add_records(3, [{"subject": {"value": "a"}}] * 101, all_or_nothing=True)
        after = (await client.get_records(3, total_count=True)).total_count
    assert before == after


async def test_a_single_call_error_is_raised_as_is(signed: SignedIn) -> None:
    async with signed.client() as client:
        with pytest.raises(ValidationError):
            await client.add_records(3, [{"subject": {"value": "x" * 70000}}] * 50)
