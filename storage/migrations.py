"""Numbered schema migrations; migration N leaves `PRAGMA user_version = N`. Append, never edit."""

MIGRATIONS: list[str] = [
    # 1: conversations, messages, per-chat settings, daily usage
    """
    CREATE TABLE conversations (
        id          INTEGER PRIMARY KEY,
        chat_id     INTEGER NOT NULL,
        thread_id   INTEGER NOT NULL DEFAULT 0,
        created_at  REAL    NOT NULL,
        active      INTEGER NOT NULL DEFAULT 1
    );
    CREATE INDEX conversations_by_chat ON conversations (chat_id, thread_id, active);

    CREATE TABLE messages (
        id                INTEGER PRIMARY KEY,
        conversation_id   INTEGER NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
        role              TEXT    NOT NULL CHECK (role IN ('user', 'assistant')),
        content           TEXT    NOT NULL,
        user_id           INTEGER,
        tg_message_id     INTEGER,
        tg_reply_ids      TEXT,
        model             TEXT,
        prompt_tokens     INTEGER,
        completion_tokens INTEGER,
        status            TEXT    NOT NULL DEFAULT 'complete'
                          CHECK (status IN ('complete', 'partial', 'superseded')),
        token_estimate    INTEGER NOT NULL DEFAULT 0,
        created_at        REAL    NOT NULL
    );
    CREATE INDEX messages_by_conversation ON messages (conversation_id, id);

    CREATE TABLE chat_settings (
        chat_id       INTEGER NOT NULL,
        thread_id     INTEGER NOT NULL DEFAULT 0,
        model         TEXT,
        system_prompt TEXT,
        updated_at    REAL    NOT NULL,
        PRIMARY KEY (chat_id, thread_id)
    );

    CREATE TABLE usage_daily (
        user_id           INTEGER NOT NULL,
        day               TEXT    NOT NULL,
        model             TEXT    NOT NULL,
        requests          INTEGER NOT NULL DEFAULT 0,
        prompt_tokens     INTEGER NOT NULL DEFAULT 0,
        completion_tokens INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (user_id, day, model)
    )
    """,
]
