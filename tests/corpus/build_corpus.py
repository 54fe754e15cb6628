"""Writes tests/corpus/tac_corpus.jsonl: hand-labelled reasoning responses for the TAC extractors.

Each line: {id, kind, tags, question, options, gt, response, think_label, answer_label}.
`think_label` is what the <think> text explicitly concludes LAST (letter / number / "UNKNOWN"),
`answer_label` what the final answer states (the <answer> block; with no tags, the output's last
explicit conclusion). Labels were written by hand together with the scenario: the scenario text is
composed so that the intended conclusion is unambiguous to a human reader, and the label is that
conclusion, not what any extractor returns. Run `python tests/corpus/build_corpus.py` to rebuild.
"""

from __future__ import annotations

import json
from pathlib import Path

L = "ABCDEFGH"

# (question, options, gt index, a visual observation supporting gt, one for a distractor)
MC = [
    ("What is the man doing after he enters the kitchen?",
     ["He opens the fridge", "He washes his hands", "He turns on the stove", "He sits at the table"], 1,
     "he walks straight to the sink and the water is running over his hands",
     "there is a fridge on the left side of the frame"),
    ("What color is the car that passes first?", ["red", "blue", "white", "black"], 0,
     "the first car that crosses from left to right at around 0:03 is clearly red",
     "a blue truck shows up later, around 0:12"),
    ("How does the ball move in the video?",
     ["It rolls to the left", "It bounces up and down", "It rolls to the right", "It stays still"], 2,
     "the ball starts near the left edge and ends up near the right wall, rolling along the floor",
     "at the start the ball looks like it is not moving"),
    ("Which object does the woman pick up last?", ["a cup", "a phone", "a book", "a pair of keys", "a remote control"], 3,
     "the last thing she grabs before walking out is the keys hanging by the door",
     "she picks up a phone from the couch in the middle of the clip"),
    ("Why does the crowd cheer?",
     ["The team scores a goal", "The referee falls", "The lights come on", "A dog runs onto the field"], 0,
     "the ball goes into the net right before everyone stands up and raises their arms",
     "the referee stumbles a little near the sideline"),
    ("What happens to the ice cube?",
     ["It melts completely", "It cracks into pieces", "It is dropped into a glass", "It slides off the table"], 2,
     "a hand lifts the cube with tongs and lets it fall into a glass of water",
     "there are small droplets on the table, as if it were melting"),
    ("In which direction is the camera moving?", ["Panning left", "Panning right", "Zooming in", "Zooming out"], 2,
     "the building in the center keeps getting larger while the edges of the frame disappear",
     "the trees on the right side drift a little"),
    ("What is the value of x in the final step of the solution shown on the board?", ["3", "5", "7", "9", "11"], 1,
     "the last line on the whiteboard reads 2x + 1 = 11, which gives 2x = 10",
     "an earlier line has x + 4 on it"),
    ("Which physical principle does the experiment demonstrate?",
     ["Conservation of momentum", "Archimedes' principle", "Ohm's law", "Newton's third law"], 1,
     "the block is lowered into the water and the overflow is weighed against the block's apparent weight loss",
     "two carts collide at the very beginning of the lecture"),
    ("What does the chef add to the pan after the onions?", ["garlic", "tomatoes", "salt", "olive oil"], 0,
     "right after the onions turn golden she tosses in minced garlic from a small bowl",
     "the olive oil went in at the very start, before the onions"),
    ("Is the person riding the bike wearing a helmet?", ["yes", "no"], 0,
     "a black helmet with a white stripe is visible when the rider turns the corner",
     "the rider's hair is visible at the back"),
    ("Where is the chair relative to the sofa?",
     ["to the left of the sofa", "to the right of the sofa", "in front of the sofa", "behind the sofa"], 3,
     "when the camera moves around the room, the chair is hidden behind the sofa's backrest",
     "at one point the chair appears on the left of the frame"),
]


def _other(i: int, n: int, k: int = 1) -> int:
    return (i + k) % n


def mc_styles(q, qi):
    question, options, g, good, bad = q
    n = len(options)
    o = _other(g, n, 1 + qi % (n - 1)) if n > 2 else 1 - g
    o2 = _other(g, n, 2) if n > 2 else o
    if o2 == o:
        o2 = _other(o, n)
    G, O, O2 = L[g], L[o], L[o2]
    tg, to = options[g], options[o]
    out = []

    def add(tags, think, answer, think_label, answer_label, raw=None):
        resp = raw if raw is not None else f"<think>{think}</think>\n<answer>{answer}</answer>"
        out.append(dict(kind="mc", tags=tags, question=question, options=options, gt=G,
                        response=resp, think_label=think_label, answer_label=answer_label))

    add(["consistent"],
        f"Let me think about this. Looking at the video, {good}. Option {O} doesn't match that. So the answer is {G}.",
        G, G, G)
    add(["consistent", "letter_with_text"],
        f"Hmm, let's break it down. First, {bad}, but that's not what the question asks. Then {good}. "
        f"Therefore, option {G} ({tg}) is correct.", f"{G}. {tg}", G, G)
    add(["inconsistent"],
        f"Okay, the key moment: {good}. That points to {tg}. So the answer is {G}.", f"{O}", G, O)
    add(["inconsistent"],
        f"Let me think. {bad[0].upper() + bad[1:]}. Hmm, I think that settles it, I'll go with {O}.", f"({G})", O, G)
    add(["hedging"],
        f"Hmm, {good}, but also {bad}. It could be {G} or {O}, it's hard to tell from these frames. "
        f"Both seem plausible.", G, "UNKNOWN", G)
    add(["hedging"],
        f"Let me see... {bad}. Then again {good}. I'm not fully sure which one the question wants; {to} and {tg} "
        f"are both possible.", O, "UNKNOWN", O)
    add(["self_correct", "consistent"],
        f"At first glance {bad}, so the answer is {O}. Wait, actually, looking again, {good}. "
        f"So it's {G}, not {O}.", G, G, G)
    add(["self_correct", "inconsistent"],
        f"I think it's {G} because {good}. Hmm, wait. Actually, {bad}... that changes things. "
        f"The answer should be {O}.", G, O, G)
    add(["option_text"],
        f"Oh, I see: {good}. So the answer is: {tg}.", tg, G, G)
    add(["option_text", "inconsistent"],
        f"Let me reason it out. {bad[0].upper() + bad[1:]}. Clearly, the correct choice is \"{to}\".", tg, O, G)
    add(["truncated"], "", "", G, "UNKNOWN",
        raw=f"<think>Let me think. {good}. So I believe the answer is {G}. But wait, let me double-check the part where")
    add(["truncated"], "", "", "UNKNOWN", "UNKNOWN",
        raw=f"<think>Hmm, let me watch this carefully. In the first few seconds, {bad}, and then")
    add(["no_tags"], "", "", "UNKNOWN", G,
        raw=f"Looking at the video, {good}. Option {O} does not fit. Therefore, the answer is {G}.")
    add(["no_tags", "letter_only"], "", "", "UNKNOWN", G, raw=f"{G}")
    add(["elimination", "consistent"],
        f"Let's go through the options. {O} is wrong because {good}. {O2} is also unlikely. "
        f"That leaves {G}, and indeed {good}. So, {G}.", G, G, G)
    add(["negation", "consistent"],
        f"The answer is not {O}: {good}. It's not {O2} either. It must be {G}.", f"Option {G}", G, G)
    add(["discussion_only"],
        f"Let's look at each option. Option {O} would mean {bad}. Option {G} matches that {good}. "
        f"I need to check the timing too.", G, "UNKNOWN", G)
    add(["markdown", "consistent"],
        f"Let me analyze the frames.\n\n1. {good[0].upper() + good[1:]}.\n2. {bad[0].upper() + bad[1:]}.\n\n**Final answer: ({G})**",
        f"**{G}**", G, G)
    add(["post_cue", "consistent"],
        f"Hmm, {good}. Comparing with the choices, Option {G} is the best match.", f"{G}", G, G)
    add(["post_cue", "inconsistent"],
        f"Right, {good}. So ({G}) is correct.", f"The answer is {O}.", G, O)
    return out


# Hand-written non-English and odd-format multiple-choice items.
def extra_mc():
    items = [
        (MC[0], "<think>让我想一想。视频里这个人走进厨房后，直接走到水槽边洗手。所以答案是B。</think><answer>B</answer>", "B", "B", ["non_english", "consistent"]),
        (MC[0], "<think>嗯，他先打开了冰箱吗？不对，他是在洗手。应该选B。</think><answer>A</answer>", "B", "A", ["non_english", "inconsistent"]),
        (MC[3], "<think>Veamos. Al principio toma un teléfono del sofá, pero lo último que agarra son las llaves junto a la puerta. Por lo tanto, la respuesta correcta es la D.</think><answer>D</answer>", "D", "D", ["non_english", "consistent"]),
        (MC[3], "<think>Hmm, la mujer toma una taza y luego un libro. Creo que podría ser B o C, no estoy seguro.</think><answer>C</answer>", "UNKNOWN", "C", ["non_english", "hedging"]),
        (MC[6], "<think>Réfléchissons. Le bâtiment au centre grossit de plus en plus, les bords disparaissent. Donc c'est C.</think><answer>C</answer>", "C", "C", ["non_english", "consistent"]),
        (MC[6], "<think>Au début je pensais à un panoramique à droite. Mais non, l'image s'agrandit. La bonne réponse est C.</think><answer>B</answer>", "C", "B", ["non_english", "inconsistent"]),
        (MC[1], "<think>Lass mich nachdenken. Das erste Auto, das vorbeifährt, ist rot. Die richtige Antwort ist A.</think><answer>A</answer>", "A", "A", ["non_english", "consistent"]),
        (MC[1], "<think>Давайте подумаем. Первая машина красная, синий грузовик появляется позже. Правильный ответ — A.</think><answer>A</answer>", "A", "A", ["non_english", "consistent"]),
        (MC[9], "<think>Vamos ver. Depois da cebola ela coloca alho picado. A resposta correta é A.</think><answer>A</answer>", "A", "A", ["non_english", "consistent"]),
        (MC[2], "<THINK>The ball goes from left to right along the floor. so the answer is C.</THINK>\n<ANSWER> C </ANSWER>", "C", "C", ["case", "consistent"]),
        (MC[2], "Some preamble.\n<think>first pass: maybe A</think>\n<think>The ball clearly ends near the right wall; I'll pick C.</think>\n<answer>C</answer>", "C", "C", ["several_blocks", "consistent"]),
        (MC[2], "```\n<think>Rolling to the right, so C.</think>\n<answer>C</answer>\n```", "C", "C", ["code_fence", "consistent"]),
        (MC[4], "<think>Everyone jumps right after the ball hits the net. Answer: A</think>\n<answer>A. The team scores a goal</answer>", "A", "A", ["consistent"]),
        (MC[4], "<think>The referee falls near the sideline, and the crowd reacts. Hmm, but the ball went in just before. I'm torn between A and B.</think><answer>B</answer>", "UNKNOWN", "B", ["hedging"]),
        (MC[5], "<think>The cube is lifted with tongs and dropped into the glass. Wait, did it crack? No. Actually it just falls in whole, so I choose (C).</think><answer>(C)</answer>", "C", "C", ["self_correct", "consistent"]),
        (MC[7], "<think>The board says 2x + 1 = 11, so 2x = 10 and x = 5. That corresponds to option B.</think><answer>B</answer>", "B", "B", ["consistent"]),
        (MC[8], "<think>The lecturer lowers the block into water and weighs the overflow: that's Archimedes' principle.</think><answer>B</answer>", "B", "B", ["option_text", "consistent"]),
        (MC[10], "<think>When the rider turns, I can see a black helmet with a white stripe. So the answer is yes.</think><answer>yes</answer>", "A", "A", ["option_text", "consistent"]),
        (MC[11], "<think>The chair is hidden behind the backrest when the camera goes around. Hmm, so behind the sofa.</think><answer>D</answer>", "D", "D", ["option_text", "consistent"]),
        (MC[11], "<think>At one point the chair is on the left side of the frame. So it's to the left of the sofa. Wait, no, that was the camera angle; actually it's behind the sofa.</think><answer>A</answer>", "D", "A", ["self_correct", "option_text", "inconsistent"]),
        (MC[0], "<think></think><answer>B</answer>", "UNKNOWN", "B", ["empty_think"]),
        (MC[0], "<answer>B</answer>", "UNKNOWN", "B", ["no_think"]),
        (MC[3], "<think>She picks up the phone, then a book, then... the keys at the door. The last one is the keys, so D. Hmm, or is the remote last? No, D is it.</think><answer>D</answer>", "D", "D", ["self_correct", "consistent"]),
        (MC[9], "<think>Olive oil first, then onions, then garlic. The question asks what comes after the onions: garlic.</think><answer>garlic</answer>", "A", "A", ["implicit", "option_text"]),
        (MC[1], "<think>The first car is red. Final answer: A</think>The answer is A.", "A", "A", ["no_answer_tag"]),
    ]
    out = []
    for q, resp, tl, al, tags in items:
        question, options, g, *_ = q
        out.append(dict(kind="mc", tags=tags, question=question, options=options, gt=L[g], response=resp,
                        think_label=tl, answer_label=al))
    return out


# (question, gt, unit, noun)
NUM = [
    ("How many chairs are in the room?", 6, "", "chairs"),
    ("What is the length of the longest dimension (length, width, or height) of the table, in centimeters?", 180, " centimeters", "table"),
    ("What is the distance between the bed and the door, in meters?", 2.5, " meters", "distance"),
    ("What is the size of this room (in square meters)?", 18, " square meters", "room"),
    ("How many people appear in the video?", 4, "", "people"),
    ("How many times does the ball bounce before it stops?", 3, "", "bounces"),
    ("What is the height of the bookshelf, in meters?", 1.8, " meters", "bookshelf"),
]

WORDS = {3: "three", 4: "four", 6: "six", 5: "five", 7: "seven", 2: "two"}


def _fmt(x):
    return str(int(x)) if float(x).is_integer() else str(x)


def num_styles(q):
    question, gt, unit, noun = q
    wrong = gt + (1 if gt < 10 and float(gt).is_integer() else round(gt * 0.3, 1))
    wrong = round(wrong, 1)
    G, W = _fmt(gt), _fmt(wrong)
    out = []

    def add(tags, think, answer, tl, al, raw=None):
        resp = raw if raw is not None else f"<think>{think}</think>\n<answer>{answer}</answer>"
        out.append(dict(kind="numeric", tags=tags, question=question, options=[], gt=gt, response=resp,
                        think_label=tl, answer_label=al))

    add(["consistent"], f"Let me look at the frames one by one. I'll keep track as the camera pans. So the answer is {G}.",
        f"{G}", gt, gt)
    add(["consistent"], f"Hmm, let me estimate. Comparing with the door, which is about 2 meters tall, I'd say it's approximately {G}{unit}.",
        f"{G}{unit}", gt, gt)
    add(["inconsistent"], f"Counting carefully from the first frame to the last, the final answer is {G}.", f"{W}", gt, wrong)
    add(["self_correct", "consistent"],
        f"My first guess is {W}. Wait, actually, I double counted one near the window. The answer is {G}.", f"{G}", gt, gt)
    add(["self_correct", "inconsistent"],
        f"Okay, I get {G} at first. Hmm, wait, let me recheck... actually, it's {W}.", f"{G}", wrong, gt)
    add(["hedging"], f"It's hard to say from this angle; it could be anywhere between {W} and {G}, I'm not sure.",
        f"{G}", "UNKNOWN", gt)
    add(["truncated"], "", "", "UNKNOWN", "UNKNOWN",
        raw=f"<think>Let me think about the {noun}. In the first part of the video the camera shows the left side, and")
    add(["no_tags"], "", "", "UNKNOWN", gt, raw=f"Looking at the video carefully, the answer is {G}{unit}.")
    add(["answer_with_text"], f"Let me think. The reference object helps here. So I estimate {G}{unit}.",
        f"About {G}{unit}.", gt, gt)
    return out


def extra_num():
    items = [
        (NUM[0], "<think>Let me count: two by the table, two near the window, one at the desk and one in the corner. 2 + 2 + 1 + 1 = 6.</think><answer>6</answer>", 6, 6, ["calculation", "consistent"]),
        (NUM[0], "<think>I count six chairs in total.</think><answer>6</answer>", 6, 6, ["number_word", "consistent"]),
        (NUM[0], "<think>The table has four chairs, and there are two more by the wall. So there are six chairs altogether.</think><answer>six</answer>", 6, 6, ["number_word", "consistent"]),
        (NUM[4], "<think>Hmm, one person enters, then two more, and one is already sitting. That makes four people.</think><answer>4</answer>", 4, 4, ["number_word", "consistent"]),
        (NUM[4], "<think>I see three people. Wait, actually there is a fourth one behind the door. So there are 4 people.</think><answer>3</answer>", 4, 3, ["self_correct", "inconsistent"]),
        (NUM[5], "<think>The ball bounces once, twice, three times and then rolls. So the answer is three.</think><answer>3</answer>", 3, 3, ["number_word", "consistent"]),
        (NUM[3], "<think>The room looks like 4.5 meters by 4 meters. 4.5 × 4 = 18 square meters.</think><answer>18</answer>", 18, 18, ["calculation", "consistent"]),
        (NUM[3], "<think>Roughly 3 meters wide and 5 meters long, which gives 15 square meters. Hmm, the far wall is further than I thought, so it's more like 18.</think><answer>15</answer>", 18, 15, ["self_correct", "inconsistent"]),
        (NUM[2], "<think>The bed is about 2.5 meters from the door, give or take 0.3.</think><answer>2.5</answer>", 2.5, 2.5, ["consistent"]),
        (NUM[2], "<think>Each floor tile is 0.5 m and there are 5 tiles between the bed and the door. 5 × 0.5 = 2.5 m.</think><answer>2.5 m</answer>", 2.5, 2.5, ["calculation", "consistent"]),
        (NUM[0], "<think>让我数一数。桌子旁边有四把椅子，墙边还有两把。一共6把椅子。</think><answer>6</answer>", 6, 6, ["non_english", "consistent"]),
        (NUM[0], "<think>Contemos: hay cuatro sillas junto a la mesa y dos junto a la pared. En total son 6.</think><answer>6</answer>", 6, 6, ["non_english", "consistent"]),
        (NUM[6], "<think>La bibliothèque fait environ 1.8 mètres de haut.</think><answer>1.8</answer>", 1.8, 1.8, ["non_english", "consistent"]),
        (NUM[6], "<think>The bookshelf reaches almost to the ceiling. The ceiling is around 2.4 m, and the shelf stops a bit below it.</think><answer>2.2</answer>", "UNKNOWN", 2.2, ["implicit", "inconsistent"]),
        (NUM[1], "<think>The table seats three people on each side, so it must be 180 centimeters long.</think><answer>180</answer>", 180, 180, ["consistent"]),
        (NUM[1], "<think>Hmm, the table is longer than the sofa. Not sure about the exact number.</think><answer>200</answer>", "UNKNOWN", 200, ["hedging"]),
        (NUM[5], "<think></think><answer>3</answer>", "UNKNOWN", 3, ["empty_think"]),
        (NUM[4], "<answer>four</answer>", "UNKNOWN", 4, ["no_think"]),
    ]
    out = []
    for q, resp, tl, al, tags in items:
        question, gt, unit, noun = q
        out.append(dict(kind="numeric", tags=tags, question=question, options=[], gt=gt, response=resp,
                        think_label=tl, answer_label=al))
    return out


def build() -> list[dict]:
    items = []
    for qi, q in enumerate(MC):
        styles = mc_styles(q, qi)
        # every style for the first four questions, then alternating halves
        items += styles if qi < 4 else [s for k, s in enumerate(styles) if (k + qi) % 2 == 0]
    items += extra_mc()
    for q in NUM:
        items += num_styles(q)
    items += extra_num()
    for i, it in enumerate(items):
        it["id"] = f"c{i:03d}"
    return items


if __name__ == "__main__":
    out = Path(__file__).with_name("tac_corpus.jsonl")
    items = build()
    with out.open("w", encoding="utf-8") as fh:
        for it in items:
            fh.write(json.dumps({k: it[k] for k in ("id", "kind", "tags", "question", "options", "gt", "response",
                                                    "think_label", "answer_label")}, ensure_ascii=False) + "\n")
    print(f"{len(items)} items -> {out}")
