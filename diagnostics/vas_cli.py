"""`videor2 vas`: the Video Attention Score of one sample, from the command line.

Generates a response (probe during generation) or, with --response, scores the given text by
teacher forcing. Prints a summary, or with --json the whole record (series, shares, statistics,
token ids, video positions, layers, head aggregation) so anyone can recompute the numbers.
"""

from __future__ import annotations

import json
import sys

from videor2.models.profiles import DEFAULT_PROTOCOL, PROTOCOLS


def add_arguments(parser) -> None:
    parser.add_argument("--model-path", required=True, help="checkpoint folder or hub id (Qwen2.5-VL family)")
    parser.add_argument("--video", required=True, help="video file")
    parser.add_argument("--question", required=True, help="question text (the think post-prompt is appended unless --raw-prompt)")
    parser.add_argument("--response", help="score this response text instead of generating one")
    parser.add_argument("--model", default="video_r2", help="profile for system prompt/suffix (default video_r2)")
    parser.add_argument("--protocol", default=DEFAULT_PROTOCOL, choices=PROTOCOLS)
    parser.add_argument("--layers", default="-1", help="decoder layer(s), comma list, negative from the end (default -1)")
    parser.add_argument("--heads", default="mean", choices=("mean", "max"), help="head aggregation (default mean)")
    parser.add_argument("--max-new-tokens", type=int, default=1024)
    parser.add_argument("--raw-prompt", action="store_true", help="use --question verbatim (no think post-prompt)")
    parser.add_argument("--dtype", default="auto")
    parser.add_argument("--attn-implementation", default="sdpa", choices=("sdpa", "flash_attention_2", "eager"))
    parser.add_argument("--json", action="store_true", help="print the whole record as JSON")


def compute(args) -> dict:
    from videor2.diagnostics.vas import AttentionProbe, generation_record, score_response
    from videor2.models import requests as rq
    from videor2.models.hf_backend import TransformersBackend
    from videor2.models.profiles import get_profile
    from videor2.tasks.common.prompts import THINK_POST_PROMPT

    profile = get_profile(args.model)
    backend = TransformersBackend(args.model_path, dtype=args.dtype, attn_implementation=args.attn_implementation)
    context = args.question if args.raw_prompt else args.question + THINK_POST_PROMPT
    request = rq.scoring_request(profile, args.protocol, context=context, video_path=args.video,
                                 max_new_tokens=args.max_new_tokens)
    probe = AttentionProbe(backend.model, layers=args.layers, heads=args.heads)
    tok = backend.processor.tokenizer
    if args.response is None:
        gen = backend.generate([request], probe=probe)[0]
        ids = list(gen.token_ids)
    else:
        ids = tok(args.response, add_special_tokens=False)["input_ids"]
    if not ids:
        raise SystemExit("videor2 vas: the response is empty; nothing to score")
    rec = generation_record(backend, gen, probe) if args.response is None else score_response(backend, request, ids, probe)
    rec["response"] = tok.decode(ids, skip_special_tokens=True)
    rec["frames"] = {"count": int(len(request.video.indices)), "size": list(request.video.size),
                     "sample_fps": float(request.video.sample_fps)}
    return rec


def run(args) -> int:
    rec = compute(args)
    if args.json:
        out = dict(rec)
        out["series"] = {k: [round(float(x), 6) for x in v] for k, v in rec["series"].items()}
        json.dump(out, sys.stdout, default=lambda o: o.tolist() if hasattr(o, "tolist") else str(o))
        print()
        return 0
    s = rec["stats"]
    print(f"response ({s['n_tokens']} tokens, {rec['meta']['way']}): {rec['response'][:200]!r}")
    print(f"video tokens: {rec['meta']['n_video_tokens']} of a {rec['meta']['prompt_len']}-token prompt; "
          f"frames {rec['frames']['count']} at {rec['frames']['size'][0]}x{rec['frames']['size'][1]}")
    print(f"layers {rec['meta']['layers']}, heads aggregated by {rec['meta']['heads']}")
    for name, st in (("all tokens", s), ("<think>", s["think"]), ("<answer>", s["answer"])):
        if st["n_tokens"]:
            print(f"VAS {name:>10}: mean {st['mean']:.2f}%  median {st['median']:.2f}%  "
                  f"IQR [{st['q1']:.2f}, {st['q3']:.2f}]  whiskers [{st['whislo']:.2f}, {st['whishi']:.2f}]  n={st['n_tokens']}")
        else:
            print(f"VAS {name:>10}: no tokens")
    return 0
