"""Video-MMMU (Perception, Comprehension, Adaptation) as ONE leaf task under the Video-R2 protocol.

Hub: lmms-lab/VideoMMMU, configs `Perception`, `Comprehension`, `Adaptation`, split `test`;
columns used: id (`<split>_<Subject>_<n>`), question, options (list), answer (letter, or the answer
text/number for open-ended items), question_type (`multiple-choice` | other = open-ended), image
(Adaptation only: the question image, which the video already shows at its end). `load` concatenates
the three tracks (missing columns filled with None) and adds `track`, so the suite's unweighted mean
counts Video-MMMU once. Videos: `$HF_HOME/video_mmmu/<Domain>/<id>.mp4`, Domain from the subject
(Art, Science, Humanities, Engineering, Medicine, Business), extracted from the repo's archives as
upstream does. Mirror: README `configs:` + `<Track>/test.parquet` + `<Domain>/<id>.mp4`.

Primary `videor2_acc` = the MACRO mean of the three tracks' accuracies (each track is a reported
number in the paper and the upstream group; a plain micro mean would weight tracks by size).
Breakdown: `track_perception`, `track_comprehension`, `track_adaptation` (None when a track has no
samples). Open-ended items are scored by `answers.open_ended_match`.
"""

from __future__ import annotations

from pathlib import Path

import datasets

from videor2.tasks.common import answers, hub, reference, scoring
from videor2.tasks.common.docs import option_lines
from videor2.tasks.common.scoring import AnswerKey
from videor2.tasks.common.spec import Benchmark

HUB_ID = "lmms-lab/VideoMMMU"
SPLIT = "test"
CACHE_NAME = "video_mmmu"
TRACKS = ("Perception", "Comprehension", "Adaptation")

IGNORE_QUIZ = "\nPlease ignore the Quiz question in last frame of the video."
ADAPT_PRE = "You should watch and learn the video content. Then apply what you learned to "
# no separator before the question: the fork joins pre-prompt and question directly (videommmu_think/utils.py L91-109)
ADAPT_MCQ = "answer the following multi-choice question. The image for this question is at the end of the video."
ADAPT_OPEN = "answer the following open-ended question. The image for this question is at the end of the video."

DOMAINS = {
    "Art": ("Art", "Art_Theory", "Design", "Music"),
    "Science": ("Biology", "Chemistry", "Geography", "Math", "Physics"),
    "Humanities": ("History", "Literature", "Sociology", "Psychology"),
    "Engineering": ("Agriculture", "Architecture_and_Engineering", "Computer_Science", "Electronics",
                    "Energy_and_Power", "Materials", "Mechanical_Engineering"),
    "Medicine": ("Basic_Medical_Science", "Clinical_Medicine", "Diagnostics_and_Laboratory_Medicine",
                 "Pharmacy", "Public_Health"),
    "Business": ("Accounting", "Economics", "Finance", "Manage", "Marketing"),
}
_DOMAIN_OF = {s: d for d, subjects in DOMAINS.items() for s in subjects}


def subject_of(doc_id: str) -> str:
    return "_".join(str(doc_id).split("_")[1:-1])


def video_relpath(doc_id: str) -> str:
    # An unknown subject keeps a would-be path (reported as video_error later), never an exception.
    return f"{_DOMAIN_OF.get(subject_of(doc_id), 'Unknown')}/{doc_id}.mp4"


def _concat_tracks(parts: list[tuple[str, datasets.Dataset]]) -> datasets.Dataset:
    features: dict = {}
    for _, ds in parts:
        for name, feat in ds.features.items():
            features.setdefault(name, feat)
    aligned = []
    for track, ds in parts:
        for name, feat in features.items():
            if name not in ds.column_names:
                ds = ds.add_column(name, [None] * len(ds), feature=feat)
        ds = ds.add_column("track", [track] * len(ds))
        aligned.append(ds.cast(datasets.Features({**features, "track": datasets.Value("string")})))
    return datasets.concatenate_datasets(aligned)


def load(root: Path | None = None) -> datasets.Dataset:
    source = HUB_ID if root is None else str(root)
    ds = _concat_tracks([(t, hub.load_split(source, t, SPLIT)) for t in TRACKS])
    base = hub.video_root(HUB_ID, CACHE_NAME) if root is None else Path(root)
    return hub.with_video_paths(ds, lambda d: str((base / video_relpath(d["id"])).absolute()))


def _is_mc(doc) -> bool:
    return doc["question_type"] == "multiple-choice"


def lettered_options(options) -> str:
    """The options one a line, lettered "A. " unless every one already starts with its letter."""
    letters = answers.LETTERS[: len(options)]
    if all(str(o).startswith(f"{l}.") for o, l in zip(options, letters)):
        return "\n".join(str(o) for o in options)
    return option_lines(options)


def question_text(doc) -> str:
    options = list(doc.get("options") or [])
    if doc["track"] != "Adaptation":
        return f"{doc['question']}\n{lettered_options(options)}{IGNORE_QUIZ}"
    if _is_mc(doc):
        return f"{ADAPT_PRE}{ADAPT_MCQ}{doc['question']}\n{lettered_options(options)}"
    return f"{ADAPT_PRE}{ADAPT_OPEN}{doc['question']}"


def answer_key(doc) -> AnswerKey:
    if _is_mc(doc):
        return AnswerKey(kind="mc", gt=str(doc["answer"]).strip().upper(),
                         options=[answers.strip_option_prefix(str(o)) for o in doc["options"]],
                         question=question_text(doc), category=doc["track"],
                         raw_options=[str(o) for o in doc["options"]])
    return AnswerKey(kind="open", gt=str(doc["answer"]).strip(), options=[],
                     question=question_text(doc), category=doc["track"])


def _image():
    import numpy as np
    from PIL import Image

    img = np.zeros((64, 96, 3), dtype=np.uint8)
    img[16:48, 24:72] = (200, 40, 40)
    return Image.fromarray(img)


def write_fixture(dest: Path, videos: dict[str, Path]) -> None:
    dest = Path(dest)
    common = {"link_selected": "", "question_type": "multiple-choice"}
    tracks = {
        "Perception": [
            {**common, "id": "test_Chemistry_12", "answer": "C",
             "question": "Which reagent does the lecturer add to the beaker first?",
             "options": ["Sodium chloride", "Hydrochloric acid", "Distilled water", "Ethanol"]},
        ],
        "Comprehension": [
            {**common, "id": "test_Economics_7", "answer": "A",
             "question": "Using the supply and demand model from the video, what happens to the equilibrium "
                         "price when supply decreases and demand is unchanged?",
             "options": ["A. It rises", "B. It falls", "C. It stays the same", "D. It becomes zero"]},
        ],
        "Adaptation": [
            {**common, "id": "test_Math_3", "answer": "B", "image": _image(),
             "question": "Apply the method from the video to the triangle in the image: what is the length of "
                         "the hypotenuse when the legs are 6 and 8?",
             "options": ["8", "10", "12", "14", "48"]},
            {**common, "id": "test_Physics_21", "answer": "3.14", "question_type": "open", "image": None,
             "question": "Using the formula derived in the video, compute the period in seconds of the pendulum "
                         "shown in the image (L = 2.45 m, g = 9.8 m/s^2). Round to two decimals.",
             "options": []},
        ],
    }
    vids = {"test_Chemistry_12": "v45s_24fps_16x9", "test_Economics_7": "v10s_30fps_portrait",
            "test_Math_3": "v20s_2997fps_4x3", "test_Physics_21": "v10s_25fps_16x9"}
    base = datasets.Features({"id": datasets.Value("string"), "question": datasets.Value("string"),
                              "options": datasets.Sequence(datasets.Value("string")),
                              "answer": datasets.Value("string"), "link_selected": datasets.Value("string"),
                              "question_type": datasets.Value("string")})
    for track, rows in tracks.items():
        feats = datasets.Features({**base, "image": datasets.Image()}) if track == "Adaptation" else base
        hub.write_parquet_config(dest, rows, f"{track}/{SPLIT}.parquet", track, SPLIT, features=feats)
        for row in rows:
            hub.place(videos[vids[row["id"]]], dest / video_relpath(row["id"]))


BENCHMARK = Benchmark(__name__, group="reasoning", order=7, paper_column="Video-MMMU", hub_id=HUB_ID, split=SPLIT,
                      reference=reference.videommmu, reference_primary=reference.present_macro,
                      breakdown={f"track_{t.lower()}": t for t in TRACKS}, breakdown_own_docs=False,
                      primary=scoring.macro_accuracy, max_new_tokens=2048,
                      note=("Video-MMMU (Perception, Comprehension, Adaptation as ONE leaf task): videor2_acc = mean "
                            "over the three tracks; track_<track> breakdown."))
globals().update(BENCHMARK.exports())  # the functions the task YAML names
