"""The embeddings repository (search by meaning) on both backends: what needs a vector, a chat's vectors."""

from __future__ import annotations

from storage import ChatKey, Storage


async def test_vectors_are_stored_once_per_model_and_found_per_chat(store: Storage) -> None:
    mine, other = ChatKey(501), ChatKey(502)
    conversation = await store.conversations.active(mine)
    question = await store.conversations.add_message(conversation, "user", "my car", token_estimate=2, user_id=501)
    answer = await store.conversations.add_message(conversation, "assistant", "fix it", token_estimate=2)
    elsewhere = await store.conversations.add_message(
        await store.conversations.active(other), "user", "a cat", token_estimate=2, user_id=502
    )
    pending = await store.embeddings.unembedded("m1", 10)
    assert [p.message_id for p in pending] == [elsewhere, answer, question]  # newest first
    assert {p.message_id: p.user_id for p in pending}[answer] == 501  # an answer counts for its user
    await store.embeddings.store("m1", [(question, b"\x01\x02"), (answer, b"\x03\x04"), (elsewhere, b"\x05\x06")])
    await store.embeddings.store("m1", [(question, b"\x07\x08")])  # made again: replaced, not added
    assert await store.embeddings.unembedded("m1", 10) == []
    found = await store.embeddings.of_chat(mine, "m1", 10)
    assert {(v.message_id, v.vector) for v in found} == {(question, b"\x07\x08"), (answer, b"\x03\x04")}
    assert len(await store.embeddings.unembedded("m2", 10)) == 3  # another model: all of them again
    assert await store.embeddings.text_of(question) == "my car"
