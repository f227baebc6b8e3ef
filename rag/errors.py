"""The errors the product reports to people; each carries a message that says what to do.

The CLI maps them to exit codes: 1 for an inconsistent index (`rag index verify`), 2 for bad
input, 3 for a missing model or index, 4 when another process is writing the index, 130 when
interrupted.
"""


class RagError(Exception):
    """Base for errors shown to the user as a message, never as a traceback. `zh`: the message for
    the Chinese web chat; without one, the kind's Chinese line with the English detail after it, so
    what went wrong is never lost (the CLI and the OpenAI-compatible API keep the English one, as
    OpenAI's errors are English)."""

    exit_code = 1
    zh_default = "出错了，请稍后再试。"

    def __init__(self, message: str = "", zh: str = ""):
        super().__init__(message)
        self.zh = zh or (f"{self.zh_default}（{message}）" if message else self.zh_default)


class BadInput(RagError):
    """The user's input (a question, a file) cannot be used."""

    exit_code = 2
    zh_default = "输入无法使用，请检查后重试。"


class ModelMissing(RagError):
    """A model file is absent or corrupt; the message names the install command."""

    exit_code = 3
    zh_default = "模型文件缺失或损坏：请运行 rag models install 后重启。"


class IndexMissing(RagError):
    """No usable index; the message names the build command."""

    exit_code = 3
    zh_default = "还没有可用的索引：请先加入报告或运行 rag index build。"


class IndexBusy(RagError):
    """Another process holds the index's write lock; nothing was changed."""

    exit_code = 4
    zh_default = "索引正在被另一个进程更新，本次没有做任何改动，请稍后再试。"


class LLMUnavailable(RagError):
    """The remote generation server (`--backend openai`) cannot be reached or answered badly;
    the message names its URL and what to do."""

    exit_code = 3
    zh_default = "生成服务暂时无法连接，请稍后再试。"
