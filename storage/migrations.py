"""Numbered schema migrations; migration N leaves `PRAGMA user_version = N`. Append, never edit.

Each migration is a list of statements, run in one transaction (no splitting of SQL text on `;`). One list
serves both backends: a plain statement is SQLite's SQL and runs on PostgreSQL with its CREATE/ALTER TABLE
types mapped (`storage.sql.postgres_ddl`: INTEGER → BIGINT, REAL → DOUBLE PRECISION, `id INTEGER PRIMARY
KEY` → an identity column); a `Variant(sqlite=..., postgres=...)` is a statement whose dialects differ
(None: nothing to run there). PostgreSQL keeps the version in `wenwen_schema_version`.
"""

from .sql import Statement, Variant

# Migration 15's pieces: Midjourney's rows move into `tasks` (kind 'midjourney'); their ids are shifted past the
# engine's own, by an offset kept in bot_state for the length of the migration.
_MJ_SHIFT = "(SELECT CAST(value AS BIGINT) AS shift FROM bot_state WHERE key = 'migration_15_shift') o"
_MJ_FIELDS = ("action", "prompt", "final_prompt", "image_url", "video_url", "progress_is_photo", "modal_message_id")


def _mj_copy(payload: str) -> str:
    return (
        "INSERT INTO tasks (id, kind, chat_id, thread_id, user_id, lang, state, gateway_id, progress, result, "
        "fail_reason, attempts, reply_to, progress_message_id, result_message_id, payload, created_at, updated_at, "
        "shown_at, parent_id) SELECT m.id + o.shift, 'midjourney', m.chat_id, m.thread_id, m.user_id, m.lang, "
        "m.status, m.task_id, m.progress, CASE WHEN m.video_url != '' THEN m.video_url ELSE m.image_url END, "
        "m.fail_reason, m.delivery_attempts, m.reply_to, m.progress_message_id, m.result_message_id, "
        f"{payload}, m.created_at, m.updated_at, m.shown_at, m.parent_id + o.shift FROM mj_tasks m, {_MJ_SHIFT}"
    )


def _mj_view(field: str) -> str:
    """The read-only `mj_tasks` left for one release: the Midjourney rows of `tasks` in the old columns."""
    columns = ", ".join(field.format(name) + f" AS {name}" for name in _MJ_FIELDS)
    return (
        "CREATE VIEW mj_tasks AS SELECT id, gateway_id AS task_id, chat_id, thread_id, user_id, lang, parent_id, "
        "state AS status, progress, fail_reason, reply_to, progress_message_id, result_message_id, created_at, "
        f"updated_at, shown_at, attempts AS delivery_attempts, {columns} FROM tasks WHERE kind = 'midjourney'"
    )


def _setval(table: str) -> str:
    return (
        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
        f"COALESCE((SELECT MAX(id) FROM {table}), 1), (SELECT COUNT(*) > 0 FROM {table}))"
    )


_MJ_PAIRS = ", ".join(f"'{name}', m.{name}" for name in _MJ_FIELDS)


MIGRATIONS: list[list[Statement]] = [
    # 1: conversations, messages, per-chat settings, daily usage
    [
        """CREATE TABLE conversations (
                id          INTEGER PRIMARY KEY,
                chat_id     INTEGER NOT NULL,
                thread_id   INTEGER NOT NULL DEFAULT 0,
                created_at  REAL    NOT NULL,
                active      INTEGER NOT NULL DEFAULT 1
            )
        """,
        "CREATE INDEX conversations_by_chat ON conversations (chat_id, thread_id, active)",
        """CREATE TABLE messages (
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
            )
        """,
        "CREATE INDEX messages_by_conversation ON messages (conversation_id, id)",
        """CREATE TABLE chat_settings (
                chat_id       INTEGER NOT NULL,
                thread_id     INTEGER NOT NULL DEFAULT 0,
                model         TEXT,
                system_prompt TEXT,
                updated_at    REAL    NOT NULL,
                PRIMARY KEY (chat_id, thread_id)
            )
        """,
        """CREATE TABLE usage_daily (
                user_id           INTEGER NOT NULL,
                day               TEXT    NOT NULL,
                model             TEXT    NOT NULL,
                requests          INTEGER NOT NULL DEFAULT 0,
                prompt_tokens     INTEGER NOT NULL DEFAULT 0,
                completion_tokens INTEGER NOT NULL DEFAULT 0,
                PRIMARY KEY (user_id, day, model)
            )
        """,
    ],
    # 2: Midjourney tasks and their buttons (callback data carries the short button row id)
    [
        """CREATE TABLE mj_tasks (
                id                  INTEGER PRIMARY KEY,
                task_id             TEXT UNIQUE,
                chat_id             INTEGER NOT NULL,
                thread_id           INTEGER NOT NULL DEFAULT 0,
                user_id             INTEGER NOT NULL,
                lang                TEXT    NOT NULL DEFAULT 'en',
                action              TEXT    NOT NULL,
                parent_id           INTEGER REFERENCES mj_tasks (id),
                status              TEXT    NOT NULL,
                progress            INTEGER NOT NULL DEFAULT 0,
                prompt              TEXT    NOT NULL DEFAULT '',
                final_prompt        TEXT    NOT NULL DEFAULT '',
                fail_reason         TEXT    NOT NULL DEFAULT '',
                image_url           TEXT    NOT NULL DEFAULT '',
                reply_to            INTEGER,
                progress_message_id INTEGER,
                progress_is_photo   INTEGER NOT NULL DEFAULT 0,
                modal_message_id    INTEGER,
                result_message_id   INTEGER,
                created_at          REAL    NOT NULL,
                updated_at          REAL    NOT NULL,
                shown_at            REAL    NOT NULL DEFAULT 0
            )
        """,
        "CREATE INDEX mj_tasks_by_status ON mj_tasks (status)",
        "CREATE INDEX mj_tasks_by_result ON mj_tasks (chat_id, result_message_id)",
        "CREATE INDEX mj_tasks_by_modal ON mj_tasks (chat_id, modal_message_id)",
        """CREATE TABLE mj_buttons (
                id         INTEGER PRIMARY KEY,
                task_row   INTEGER NOT NULL REFERENCES mj_tasks (id) ON DELETE CASCADE,
                custom_id  TEXT    NOT NULL,
                label      TEXT    NOT NULL DEFAULT '',
                emoji      TEXT    NOT NULL DEFAULT '',
                position   INTEGER NOT NULL,
                pressed_at REAL,
                UNIQUE (task_row, custom_id)
            )
        """,
    ],
    # 3: image references on messages (Telegram file ids, never bytes); per-chat voice and vision flags
    [
        "ALTER TABLE messages ADD COLUMN attachments TEXT",
        "ALTER TABLE chat_settings ADD COLUMN voice_replies INTEGER NOT NULL DEFAULT 0",
        "ALTER TABLE chat_settings ADD COLUMN vision_notice_shown INTEGER NOT NULL DEFAULT 0",
    ],
    # 4: per-chat format override, thinking, web search, tools and language
    [
        "ALTER TABLE chat_settings ADD COLUMN api_format TEXT",
        "ALTER TABLE chat_settings ADD COLUMN thinking INTEGER NOT NULL DEFAULT 0",
        "ALTER TABLE chat_settings ADD COLUMN thinking_level TEXT NOT NULL DEFAULT 'medium'",
        "ALTER TABLE chat_settings ADD COLUMN web_search INTEGER NOT NULL DEFAULT 0",
        "ALTER TABLE chat_settings ADD COLUMN tools INTEGER NOT NULL DEFAULT 1",
        "ALTER TABLE chat_settings ADD COLUMN language TEXT",
    ],
    # 5: answers are written as a row when they start ('pending'), so a question whose answer failed or was lost
    #    in a crash keeps a separator ('failed'/'pending') and is never glued to the next question; images the
    #    gateway refused are not sent again. SQLite cannot change a CHECK constraint: the table is rebuilt.
    [
        """CREATE TABLE messages_v5 (
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
                                  CHECK (status IN ('complete', 'partial', 'superseded', 'pending', 'failed')),
                token_estimate    INTEGER NOT NULL DEFAULT 0,
                created_at        REAL    NOT NULL,
                attachments       TEXT,
                images_refused    INTEGER NOT NULL DEFAULT 0
            )
        """,
        """INSERT INTO messages_v5 (id, conversation_id, role, content, user_id, tg_message_id, tg_reply_ids, model,
                prompt_tokens, completion_tokens, status, token_estimate, created_at, attachments)
            SELECT id, conversation_id, role, content, user_id, tg_message_id, tg_reply_ids, model,
                prompt_tokens, completion_tokens, status, token_estimate, created_at, attachments FROM messages
        """,
        "DROP TABLE messages",
        "ALTER TABLE messages_v5 RENAME TO messages",
        "CREATE INDEX messages_by_conversation ON messages (conversation_id, id)",
    ],
    # 6: crash recovery and bounded delivery: an answer is 'delivered' only once the chat shows it; the user's
    #    language is kept with their message (a restart answers in it); Midjourney delivery attempts are counted.
    [
        "ALTER TABLE messages ADD COLUMN delivered INTEGER NOT NULL DEFAULT 1",
        "ALTER TABLE messages ADD COLUMN lang TEXT",
        "ALTER TABLE mj_tasks ADD COLUMN delivery_attempts INTEGER NOT NULL DEFAULT 0",
        "CREATE INDEX messages_undelivered ON messages (delivered) WHERE delivered = 0",
    ],
    # 7: the owner's controls: users allowed or denied from the chat (negative ids are groups), per-user daily
    #    limits (NULL: the default, -1: none), images counted per day, and small facts the bot keeps (bot_state).
    [
        """CREATE TABLE access (
                subject_id  INTEGER PRIMARY KEY,
                state       TEXT    NOT NULL CHECK (state IN ('allowed', 'denied')),
                changed_by  INTEGER,
                changed_at  REAL    NOT NULL
            )
        """,
        """CREATE TABLE user_limits (
                user_id     INTEGER PRIMARY KEY,
                requests    INTEGER,
                tokens      INTEGER,
                images      INTEGER,
                changed_at  REAL    NOT NULL
            )
        """,
        "ALTER TABLE usage_daily ADD COLUMN images INTEGER NOT NULL DEFAULT 0",
        "CREATE TABLE bot_state (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    ],
    # 8: the chat was told once that its model cannot search the web
    ["ALTER TABLE chat_settings ADD COLUMN search_notice_shown INTEGER NOT NULL DEFAULT 0"],
    # 9: documents sent with a user message (JSON list of {"file_id", "name", "kind"}): re-read by file id
    ["ALTER TABLE messages ADD COLUMN documents TEXT"],
    # 10: conversation titles (NULL: shown from the first message; title_source 'model' or 'user' once written)
    #     and full-text search over message text: an external-content FTS5 table (trigram: any piece of 3+
    #     characters matches, Chinese included) kept in step by triggers, with the existing messages indexed
    #     here. A later migration that rebuilds `messages` must create these triggers again.
    [
        "ALTER TABLE conversations ADD COLUMN title TEXT",
        "ALTER TABLE conversations ADD COLUMN title_source TEXT",
        # PostgreSQL has no FTS5: its search reads the chat's messages with ILIKE (storage/history.py)
        Variant(
            "CREATE VIRTUAL TABLE messages_fts USING fts5 ("
            "content, content = 'messages', content_rowid = 'id', tokenize = 'trigram')",
            None,
        ),
        Variant(
            "CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN "
            "INSERT INTO messages_fts (rowid, content) VALUES (new.id, new.content); END",
            None,
        ),
        Variant(
            "CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN "
            "INSERT INTO messages_fts (messages_fts, rowid, content) VALUES ('delete', old.id, old.content); END",
            None,
        ),
        Variant(
            "CREATE TRIGGER messages_fts_update AFTER UPDATE OF content ON messages "
            "WHEN old.content != new.content BEGIN "
            "INSERT INTO messages_fts (messages_fts, rowid, content) VALUES ('delete', old.id, old.content); "
            "INSERT INTO messages_fts (rowid, content) VALUES (new.id, new.content); END",
            None,
        ),
        Variant("INSERT INTO messages_fts (messages_fts) VALUES ('rebuild')", None),
    ],
    # 11: the task engine: long-running gateway jobs of any kind (video, …) in one table; what a kind needs
    #     beyond the shared columns is in `payload` (JSON). Polled by state, found by their result message.
    [
        """CREATE TABLE tasks (
                id                  INTEGER PRIMARY KEY,
                kind                TEXT    NOT NULL,
                chat_id             INTEGER NOT NULL,
                thread_id           INTEGER NOT NULL DEFAULT 0,
                user_id             INTEGER NOT NULL,
                lang                TEXT    NOT NULL DEFAULT 'en',
                state               TEXT    NOT NULL,
                gateway_id          TEXT,
                progress            INTEGER NOT NULL DEFAULT 0,
                result              TEXT    NOT NULL DEFAULT '',
                fail_reason         TEXT    NOT NULL DEFAULT '',
                attempts            INTEGER NOT NULL DEFAULT 0,
                reply_to            INTEGER,
                progress_message_id INTEGER,
                result_message_id   INTEGER,
                payload             TEXT    NOT NULL DEFAULT '{}',
                created_at          REAL    NOT NULL,
                updated_at          REAL    NOT NULL,
                shown_at            REAL    NOT NULL DEFAULT 0
            )
        """,
        "CREATE INDEX tasks_by_state ON tasks (kind, state)",
        "CREATE INDEX tasks_by_result ON tasks (chat_id, result_message_id)",
    ],
    # 12: message embeddings for /find by meaning (EMBEDDING_MODEL): a unit vector as float16 bytes per message
    [
        """CREATE TABLE message_embeddings (
                message_id  INTEGER PRIMARY KEY REFERENCES messages (id) ON DELETE CASCADE,
                model       TEXT    NOT NULL,
                vector      BLOB    NOT NULL
            )
        """,
    ],
    # 13: a Midjourney video task's result (`videoUrl`), delivered as a video instead of its poster image
    [
        "ALTER TABLE mj_tasks ADD COLUMN video_url TEXT NOT NULL DEFAULT ''",
    ],
    # 14: Telegram update ids claimed once (storage/claims.py), for several webhook processes on one database
    [
        """CREATE TABLE update_claims (
                update_id   INTEGER PRIMARY KEY,
                claimed_at  REAL    NOT NULL,
                claimed_by  TEXT    NOT NULL DEFAULT ''
            )
        """,
        "CREATE INDEX update_claims_by_time ON update_claims (claimed_at)",
    ],
    # 15: Midjourney on the task engine. Its rows are copied into `tasks` (kind 'midjourney'; ids shifted past
    #     the engine's, parents with them; its own fields in `payload`), `tasks` gets `parent_id`, the buttons keep
    #     their ids (callback data `mj:<id>`) and now belong to `tasks`. `mj_tasks` is dropped; a read-only view
    #     of that name shows the Midjourney rows in the old columns for one release.
    [
        "ALTER TABLE tasks ADD COLUMN parent_id INTEGER",
        "INSERT INTO bot_state (key, value) SELECT 'migration_15_shift', CAST(COALESCE(MAX(id), 0) AS TEXT) FROM tasks",
        Variant(_mj_copy(f"json_object({_MJ_PAIRS})"), _mj_copy(f"json_build_object({_MJ_PAIRS})::text")),
        """CREATE TABLE mj_buttons_v15 (
                id         INTEGER PRIMARY KEY,
                task_row   INTEGER NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
                custom_id  TEXT    NOT NULL,
                label      TEXT    NOT NULL DEFAULT '',
                emoji      TEXT    NOT NULL DEFAULT '',
                position   INTEGER NOT NULL,
                pressed_at REAL,
                UNIQUE (task_row, custom_id)
            )
        """,
        "INSERT INTO mj_buttons_v15 (id, task_row, custom_id, label, emoji, position, pressed_at) "
        f"SELECT b.id, b.task_row + o.shift, b.custom_id, b.label, b.emoji, b.position, b.pressed_at "
        f"FROM mj_buttons b, {_MJ_SHIFT}",
        "DROP TABLE mj_buttons",
        "ALTER TABLE mj_buttons_v15 RENAME TO mj_buttons",
        "DROP TABLE mj_tasks",
        "DELETE FROM bot_state WHERE key = 'migration_15_shift'",
        Variant(None, _setval("tasks")),
        Variant(None, _setval("mj_buttons")),
        Variant(_mj_view("json_extract(payload, '$.{}')"), _mj_view("(payload::json ->> '{}')")),
    ],
    # 16: leases (storage/leases.py: the long-polling process, the task-poll leader, a chat's turn) and /stop
    # requests for an answer another process is writing, for several processes on one database
    [
        """CREATE TABLE leases (
                name        TEXT    PRIMARY KEY,
                holder      TEXT    NOT NULL,
                expires_at  REAL    NOT NULL
            )
        """,
        """CREATE TABLE stop_requests (
                id            INTEGER PRIMARY KEY,
                chat_id       INTEGER NOT NULL,
                thread_id     INTEGER NOT NULL,
                requested_by  INTEGER NOT NULL,
                may_stop_any  INTEGER NOT NULL,
                requested_at  REAL    NOT NULL
            )
        """,
    ],
]
