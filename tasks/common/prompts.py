"""Protocol strings of the Video-R2 evaluation fork, verbatim (docs/PROTOCOLS.md, docs/BENCHMARKS.md)."""

SYSTEM_PROMPT = "You are a helpful assistant."

THINK_POST_PROMPT = (
    "\nPlease think about this question as if you were a human pondering deeply. Engage in an "
    "internal dialogue using expressions such as 'let me think', 'wait', 'Hmm', 'oh, I see', "
    "'let's break it down', etc, or other natural language thought expressions. It's encouraged to "
    "include self-reflection or verification in the reasoning process. Provide your detailed "
    "reasoning between the <think> and </think> tags, and then give your final answer between the "
    "<answer> and </answer> tags."
)
