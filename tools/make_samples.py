"""Generate the bundled sample data in src/koclassify/samples/ (deterministic: same seed, same bytes).

    python tools/make_samples.py [--out DIR] [--seed 2023]

Two small synthetic data sets, written from templates with natural Korean so that tests, docs and the
quick start run offline:

- NIKL-style target-conditioned emotion analysis (nikl_{train,dev,test}.jsonl): 8 emotions cued by
  emotion-specific predicates, with ambiguous cues, multi-label rows and a little label noise so a linear
  model learns it well but not perfectly.
- K-pop-style lyrics genre classification (lyrics_{train,dev}.csv): multi-line lyrics, multi-valued genres
  and artists, a group name with a comma inside parentheses, "-" genres, mixed date formats, and artists
  strongly tied to genres (an artist->genre prior helps).
"""

from __future__ import annotations

import argparse
import csv
import random
from pathlib import Path

from koclassify.data.example import Example, Span
from koclassify.data.writers import write_examples_nikl

EMOTIONS = ("joy", "anticipation", "trust", "surprise", "disgust", "fear", "anger", "sadness")
DEFAULT_OUT = Path(__file__).resolve().parents[1] / "src" / "koclassify" / "samples"

# ------------------------------------------------------------------------------------ Korean particles
_PAIRS = {"은": ("은", "는"), "이": ("이", "가"), "을": ("을", "를"), "과": ("과", "와"), "으로": ("으로", "로")}


def josa(word: str, particle: str) -> str:
    """``word`` + the particle form its last syllable takes (은/는, 이/가, 을/를, 과/와, 으로/로; 에 as is)."""
    if particle not in _PAIRS:
        return word + particle
    code = ord(word[-1]) - 0xAC00
    if not 0 <= code < 11172:
        raise ValueError(f"{word!r} must end in a Hangul syllable")
    final = code % 28
    with_final, without = _PAIRS[particle]
    if particle == "으로" and final == 8:  # ㄹ takes 로
        return word + without
    return word + (with_final if final else without)


# ------------------------------------------------------------------------------------------- NIKL
# fmt: off
TARGETS = {
    "product": ["새 휴대폰", "무선 이어폰", "노트북", "전기차", "이 카메라", "신형 세탁기", "로봇청소기", "태블릿",
                "스마트워치", "게임기", "안마의자", "전기밥솥"],
    "person": ["우리 팀장님", "담임 선생님", "그 배우", "새로 온 감독", "옆집 아저씨", "그 가수", "주치의 선생님",
               "막내 동생", "대표님", "그 정치인", "택배 기사님", "신입 사원"],
    "place": ["동네 카페", "새로 생긴 식당", "지하철역", "시립 도서관", "그 호텔", "제주도", "대학 병원", "놀이공원",
              "단골 미용실", "캠핑장", "동물원", "헬스장"],
    "event": ["이번 콘서트", "졸업식", "불꽃 축제", "월요일 회의", "최종 면접", "사촌 결혼식", "야구 결승전",
              "기말고사", "신제품 발표회", "동창회", "마라톤 대회", "시상식"],
}

# "{T}" is the target; "{T/을}" the target with its particle. Each lead is followed by a reaction clause.
LEADS = {
    "product": ["{T/을} 써 봤는데", "{T/을} 새로 샀는데", "택배로 온 {T/을} 열어 보니", "한 달 동안 {T/을} 써 보니",
                "광고에서 본 {T/을} 직접 만져 보고"],
    "person": ["{T/을} 오랜만에 만났는데", "{T/이} 하는 말을 듣고", "{T/이} 한 행동을 보고",
               "회식 자리에서 {T/을} 보니", "{T/과} 이야기를 나눠 보니"],
    "place": ["{T/에} 처음 가 봤는데", "주말에 {T/에} 들렀는데", "{T/에} 다시 가 보니", "친구랑 {T/에} 갔는데",
              "퇴근길에 {T/에} 들러 보니"],
    "event": ["{T/에} 다녀왔는데", "{T/을} 끝까지 지켜봤는데", "{T/을} 앞두고", "{T} 소식을 듣고",
              "{T/이} 끝나고 나니"],
}
GENERIC_LEADS = ["{T/을} 보고", "{T} 때문에", "{T} 얘기를 듣고", "뉴스에서 {T} 소식을 보고", "{T/을} 떠올리면"]

# Subjectless reaction clauses: after a lead, alone, or as the second clause of a multi-label row.
REACT = {
    "joy": ["너무 기뻐서 웃음이 멈추지 않았다", "기분이 날아갈 것 같았어요", "정말 행복했다", "신나서 방방 뛰었다",
            "하루 종일 싱글벙글했네요", "오랜만에 마음껏 웃었다", "기분 최고예요", "즐거워서 시간 가는 줄 몰랐다",
            "뿌듯하고 흐뭇했다", "입꼬리가 내려오질 않는다"],
    "anticipation": ["벌써부터 설렌다", "다음이 너무 기대돼요", "빨리 그날이 왔으면 좋겠다", "손꼽아 기다리고 있다",
                     "어떻게 될지 궁금해서 못 참겠다", "얼른 다시 해 보고 싶다", "기다리는 내내 들떠 있었다",
                     "다음 달만 기다리는 중이에요", "앞으로가 더 기대된다", "빨리 확인해 보고 싶다"],
    "trust": ["믿고 맡겨도 되겠다", "역시 믿음이 간다", "확실히 믿을 만하다", "안심하고 맡길 수 있겠어요",
              "한 번도 실망시킨 적이 없다", "약속을 꼭 지켜서 든든하다", "믿음직스럽다",
              "다음에도 무조건 믿고 고를 거다",
              "검증된 만큼 걱정이 없다", "꼼꼼하게 챙겨 줘서 안심이 됐다"],
    "surprise": ["깜짝 놀랐다", "이럴 줄은 꿈에도 몰랐다", "어안이 벙벙했어요", "눈이 휘둥그레졌다",
                 "너무 뜻밖이라 당황했다", "세상에, 믿기지가 않는다", "예상과 완전히 달라서 얼떨떨했다",
                 "순간 내 눈을 의심했다", "갑작스러워서 어리둥절했다", "놀라서 입이 떡 벌어졌다"],
    "disgust": ["역겨워서 쳐다보기도 싫다", "정말 혐오스러웠다", "비위가 상해서 밥을 못 먹었다",
                "더럽고 지저분해서 토할 뻔했다", "보기만 해도 속이 메스껍다", "징그러워서 몸서리가 쳐졌다",
                "다시는 엮이고 싶지 않을 만큼 불쾌했다", "위생 상태가 엉망이라 구역질이 났다",
                "냄새가 고약해서 숨을 참았다", "추잡하고 역겨운 모습이었다"],
    "fear": ["무서워서 잠을 설쳤다", "겁이 나서 손이 덜덜 떨렸다", "불안해서 아무것도 손에 안 잡힌다",
             "혹시 잘못될까 봐 두렵다", "생각만 해도 오싹하다", "무슨 일이 날까 봐 조마조마했다",
             "심장이 철렁 내려앉았다", "공포에 질려서 꼼짝도 못 했다", "괜히 무서워졌다", "걱정돼서 식은땀이 났다"],
    "anger": ["화가 나서 참을 수가 없다", "진짜 열받네요", "어이가 없어서 따지고 싶었다", "짜증이 나서 항의했다",
              "분통이 터진다", "괘씸해서 용서가 안 된다", "너무 무례해서 화가 치밀었다",
              "사과 한마디 없어서 더 화가 났다",
              "뚜껑이 열릴 뻔했다", "참다 참다 결국 폭발했다"],
    "sadness": ["너무 슬퍼서 펑펑 울었다", "마음이 너무 아프다", "허전하고 쓸쓸했다", "괜히 눈물이 났어요",
                "우울해서 아무것도 하기 싫다", "아쉽고 서운했다", "가슴이 먹먹했다", "외롭고 울적한 하루였다",
                "그리워서 잠이 안 온다", "속상해서 한참을 울었다"],
}

# Predicates that take the target as subject: "{T/은} ...".
PRED = {
    "joy": ["보기만 해도 기분이 좋아진다", "볼 때마다 행복하다", "정말 마음에 쏙 든다", "우리 가족 모두를 웃게 했다",
            "기쁨 그 자체였다", "최고였고 너무 즐거웠다"],
    "anticipation": ["다음 달에 나온다니 벌써 설렌다", "언제 또 볼 수 있을지 기다려진다",
                     "기대 이상일 것 같아 두근거린다",
                     "어떤 모습일지 너무 궁금하다", "빨리 만나 보고 싶다"],
    "trust": ["늘 한결같아서 믿음이 간다", "실력이 검증돼서 신뢰가 간다", "약속을 어긴 적이 없다",
              "이번에도 기대를 저버리지 않았다", "정직해서 안심이 된다"],
    "surprise": ["생각보다 훨씬 달라서 놀라웠다", "완전히 예상 밖이었다", "갑자기 확 바뀌어서 당황스러웠다",
                 "이렇게 대단할 줄 몰랐다", "볼 때마다 신기하고 놀랍다"],
    "disgust": ["정말 역겹다", "보기만 해도 불쾌하고 징그럽다", "위선적이라 혐오스럽다", "지저분해서 비위가 상한다",
                "생각만 해도 속이 울렁거린다"],
    "fear": ["왠지 모르게 무섭다", "볼 때마다 겁이 난다", "너무 위험해 보여서 두렵다", "생각만 해도 소름 끼친다",
             "언제 사고가 날지 몰라 불안하다"],
    "anger": ["정말 화가 난다", "뻔뻔해서 열받는다", "사람을 무시하는 것 같아 짜증 난다", "하는 짓마다 괘씸하다",
              "도대체 왜 그러는지 분노가 치민다"],
    "sadness": ["이제 다시 볼 수 없어서 슬프다", "떠올릴 때마다 마음이 아프다", "예전 같지 않아서 서글프다",
                "너무 아쉽고 안타깝다", "생각하면 눈물부터 난다"],
}
PRED_FRAMES = ["{T/은} {P}", "다른 건 몰라도 {T/은} {P}", "솔직히 말하면 {T/은} {P}", "{T}, 이건 진짜 {P}",
               "내가 보기엔 {T/은} {P}"]
TAIL_FRAMES = ["{R}. 이게 다 {T} 때문이다", "{R}. {T} 얘기다", "{R}, {T} 말이야"]  # target at the end

# Cues that several emotions share: the wording alone cannot decide, as in real data.
AMBIGUOUS = [
    ("가슴이 두근거렸다", ("anticipation", "fear", "joy")),
    ("눈물이 핑 돌았다", ("joy", "sadness")),
    ("할 말을 잃었다", ("surprise", "anger", "disgust")),
    ("말문이 막혔다", ("surprise", "anger")),
    ("잠이 안 왔다", ("anticipation", "fear", "sadness")),
    ("한숨만 나왔다", ("sadness", "anger")),
    ("온몸에 소름이 돋았다", ("fear", "surprise", "disgust")),
    ("심장이 쿵 했다", ("surprise", "fear", "joy")),
]
PAIRS = [("joy", "anticipation"), ("joy", "trust"), ("anger", "disgust"), ("sadness", "fear"), ("surprise", "joy"),
         ("surprise", "fear"), ("anger", "sadness"), ("anticipation", "trust"), ("surprise", "anger"),
         ("disgust", "fear"), ("joy", "sadness")]
CONNECT = ["", "그리고 ", "그러면서도 ", "한편으로는 ", "근데 ", "동시에 "]
OPENERS = ["", "", "", "오늘 ", "어제 ", "지난주에 ", "솔직히 ", "요즘 ", "아 ", "와 ", "음... ", "진짜 "]
PRED_OPENERS = ["", "", "", "솔직히 ", "아 ", "와 ", "음... ", "진짜 ", "역시 "]
ENDINGS = {
    "positive": [".", ".", ".", "!", "!!", " ㅎㅎ", " ㅋㅋ", " :)", "~"],
    "negative": [".", ".", ".", "...", "..", " ㅠㅠ", " ㅡㅡ", " 하...", "!"],
}
POSITIVE = ("joy", "anticipation", "trust", "surprise")
NULL_FRAMES = ["{O}{R}", "그냥 {R}", "오늘 하루는 정말 {R}", "{R}. 다들 그렇지 않나요?"]
WEIGHTS = {"joy": 22, "anticipation": 14, "trust": 12, "surprise": 10, "disgust": 10, "fear": 10, "anger": 12,
           "sadness": 10}

# fmt: on


def _fill(frame: str, target: str) -> tuple[str, int | None]:
    """Render the target slot; return the text and where the target starts in it."""
    for particle in ("", "/은", "/이", "/을", "/과", "/에", "/으로"):
        slot = "{T" + particle + "}"
        if slot in frame:
            before, after = frame.split(slot, 1)
            filled = josa(target, particle[1:]) if particle else target
            return before + filled + after, len(before)
    return frame, None


def _react(rng: random.Random, emotion: str) -> str:
    if rng.random() < 0.1:
        candidates = [cue for cue, emos in AMBIGUOUS if emotion in emos]
        if candidates:
            return rng.choice(candidates)
    return rng.choice(REACT[emotion])


def _sentence(rng: random.Random, emotions: list[str], target: str | None, category: str) -> tuple[str, int | None]:
    """One text expressing ``emotions`` (first the main one) about ``target``; the target's start offset."""
    main = emotions[0]
    opener = rng.choice(OPENERS)
    if target is None:
        frame = rng.choice(NULL_FRAMES).replace("{O}", opener).replace("{R}", _react(rng, main))
        text, start = frame, None
    else:
        style = rng.random()
        if style < 0.5:
            lead = rng.choice(LEADS[category] if rng.random() < 0.7 else GENERIC_LEADS)
            frame = f"{opener}{lead} {_react(rng, main)}"
        elif style < 0.85:
            frame = rng.choice(PRED_OPENERS) + rng.choice(PRED_FRAMES).replace("{P}", rng.choice(PRED[main]))
        else:
            frame = rng.choice(TAIL_FRAMES).replace("{R}", _react(rng, main))
        text, start = _fill(frame, target)
    for extra in emotions[1:]:
        text = f"{text.rstrip('.')}. {rng.choice(CONNECT)}{_react(rng, extra)}"
    mood = "positive" if main in POSITIVE else "negative"
    if rng.random() < 0.2:  # emoticons do not always match the mood
        mood = rng.choice(list(ENDINGS))
    return text + rng.choice(ENDINGS[mood]), start


def nikl_examples(rng: random.Random, n: int, prefix: str, with_labels: bool) -> list[Example]:
    names, weights = list(WEIGHTS), list(WEIGHTS.values())
    out = []
    for i in range(n):
        main = rng.choices(names, weights)[0]
        emotions = [main]
        if rng.random() < 0.2:
            pair = rng.choice([p for p in PAIRS if main in p])
            emotions.append(pair[1] if pair[0] == main else pair[0])
        category = rng.choice(list(TARGETS))
        target = None if rng.random() < 1 / 12 else rng.choice(TARGETS[category])
        text, start = _sentence(rng, emotions, target, category)
        labels = list(emotions)
        if rng.random() < 0.05:  # annotator disagreement: one label swapped for another
            labels[rng.randrange(len(labels))] = rng.choice(names)
        span = Span(None) if target is None else Span(target, start, start + len(target))
        gold = tuple(e for e in EMOTIONS if e in labels) if with_labels else None
        out.append(Example(id=f"nikluge-sample-{prefix}-{i + 1:06d}", text=text, target=span, labels=gold))
    return out


# ----------------------------------------------------------------------------------------- lyrics
# fmt: off
LINES = {
    "발라드": ["아직도 너의 이름을 불러", "이별이 이렇게 아플 줄 몰랐어", "눈물로 지새운 밤이 또 지나가",
            "그리운 그 목소리",
             "다시 돌아와 줄 수는 없니", "우리 함께 걷던 그 길 위에서", "차가운 빗속에 홀로 서 있어",
             "너 없는 하루가 너무 길어", "잊으려 해도 잊혀지지 않아", "마지막 인사도 못 했는데"],
    "댄스": ["오늘 밤 멈추지 마", "리듬에 몸을 맡겨 봐", "다 같이 손을 들어 올려", "불빛 아래 춤을 춰",
            "Let's go 신나게 달려", "심장이 뛰는 대로 움직여", "밤새도록 파티는 계속돼", "한 번 더 Turn it up",
            "눈부신 스테이지 위로", "Baby 지금 이 순간을 즐겨"],
    "랩/힙합": ["마이크를 잡은 순간 내가 주인공", "바닥부터 올라왔지 Yeah", "비트 위에 내 이야기를 써",
              "누가 뭐래도 난 내 길을 가", "Check it 내 flow는 멈추지 않아", "어제의 나보다 더 높이",
              "돈보다 중요한 건 내 자존심", "동네 골목에서 꿈을 키웠지", "Hater들은 말만 많지",
              "내 크루와 함께 끝까지"],
    "R&B/Soul": ["부드럽게 너를 감싸 안아", "Oh baby 너의 향기가 좋아", "밤공기처럼 스며들어",
                 "Tonight 둘만의 시간", "너의 숨결이 닿을 때", "천천히 다가와 줘", "달콤한 목소리로 속삭여",
                 "Love you 내 곁에 있어 줘", "촛불처럼 은은하게", "Slow down 이 밤이 끝나지 않게"],
    "록/메탈": ["세상을 향해 소리쳐", "부서질 때까지 달려", "뜨거운 불꽃이 타올라", "낡은 틀을 깨고 나가",
              "자유를 외쳐 더 크게", "끝없는 도로 위를 달려", "기타 소리가 심장을 울려", "무너져도 다시 일어서",
              "폭풍 속으로 뛰어들어", "우린 멈추지 않아"],
    "인디음악": ["자전거를 타고 골목을 지나", "오후 세 시의 햇살 아래", "낡은 일기장을 펼쳐 보면",
              "작은 방 창문 너머로", "고양이가 하품을 하는 오후", "라디오에서 흘러나오는 노래",
              "동네 빵집 앞에서 널 기다려", "소소한 하루가 좋아", "버스 창가에 기대어", "느리게 걸어도 괜찮아"],
    "국내드라마": ["운명처럼 너를 만나", "그대 곁에 머물게 해 줘", "먼 길을 돌아 다시 만난 우리",
              "시간이 멈춘 것처럼", "이 사랑을 지켜 줄게", "기다림 끝에 너를 찾았어", "한 번만 더 나를 봐 줘",
              "스쳐 가는 인연이라 해도", "계절이 바뀌어도 그대로야", "눈물 속에 피어난 사랑"],
    "포크/블루스": ["낡은 기타 하나 메고서", "바람 부는 언덕 위에", "고향 가는 기차에 몸을 싣고",
                "강물은 말없이 흐르고", "모닥불 곁에 둘러앉아", "어머니의 손길이 그리워", "들꽃처럼 살고 싶어",
                "저녁노을이 물드는 길", "흙냄새 나는 그 시절", "조용히 노래를 불러"],
    "성인가요/트로트": ["인생은 한 잔의 술처럼", "사랑아 내 사랑아", "내 님은 어디 계신가", "울고 넘는 고갯길",
                  "돌아와요 부산항에", "청춘은 다시 오지 않아", "얼씨구 좋다 오늘 밤", "정 하나로 살아온 세월",
                  "황혼의 길목에서", "당신이 최고야"],
}
SHARED_LINES = ["사랑해", "너를 생각해", "Oh oh oh", "오늘도 너를 그려", "Yeah", "나의 하루는 너로 가득해",
                "시간이 흘러도", "이 밤이 지나면", "La la la", "너만 보여"]
TITLES = {
    "발라드": ["이별 후에", "그리운 밤", "너의 이름", "마지막 인사", "빗속에서"],
    "댄스": ["Turn It Up", "불빛", "Party Tonight", "심장 박동", "Shine"],
    "랩/힙합": ["자수성가", "Flow", "골목대장", "Hater", "Crew"],
    "R&B/Soul": ["Slow Down", "향기", "Tonight", "속삭임", "Candle"],
    "록/메탈": ["불꽃", "폭풍 속으로", "자유", "Highway", "다시 일어서"],
    "인디음악": ["오후 세 시", "자전거", "일기장", "창문 너머", "빵집 앞에서"],
    "국내드라마": ["운명", "그대 곁에", "기다림", "인연", "시간이 멈춘 날"],
    "포크/블루스": ["고향 가는 길", "들꽃", "모닥불", "저녁노을", "강물"],
    "성인가요/트로트": ["인생 한 잔", "사랑아", "고갯길", "청춘", "당신이 최고야"],
}
# artist -> usual genre cell (several genres joined by ", "), and how often the artist appears
ARTISTS = [
    ("김서연", "발라드", 3), ("한지우", "발라드", 3), ("윤슬", "발라드, 국내드라마", 3), ("정하늘", "국내드라마", 2),
    ("이안", "발라드", 2), ("윤슬, 이안", "발라드, 국내드라마", 1), ("네온걸즈", "댄스", 3), ("블링크스타", "댄스", 3),
    ("하모니 (서준, 다인)", "댄스", 2), ("엑스플로어", "댄스, 랩/힙합", 2), ("MC 돌담", "랩/힙합", 3),
    ("크루즈라인", "랩/힙합", 2), ("빅토, 제이린", "랩/힙합, R&B/Soul", 1), ("소울비", "R&B/Soul", 3),
    ("제이린", "R&B/Soul", 2), ("붉은노을밴드", "록/메탈", 3), ("아이언웨이브", "록/메탈", 2),
    ("골목길 프로젝트", "인디음악", 2), ("소란한 오후", "인디음악, 포크/블루스", 2), ("바람과 기타", "포크/블루스", 2),
    ("남도명", "성인가요/트로트", 2),
]
DATE_FORMATS = ["%Y.%m.%d", "%Y.%m.%d", "%Y-%m-%d", "%Y.%m", "%Y", "%Y%m%d"]
# fmt: on


def _lyrics(rng: random.Random, genres: list[str]) -> str:
    pool = [line for g in genres for line in LINES[g]]
    verse = [rng.choice(pool) if rng.random() < 0.5 else rng.choice(SHARED_LINES) for _ in range(rng.randint(4, 8))]
    chorus = [rng.choice(pool)] + rng.sample(SHARED_LINES, 2)
    parts = [verse, chorus] + ([verse[: rng.randint(2, 4)], chorus] if rng.random() < 0.6 else [])
    return "\n\n".join("\n".join(p) for p in parts)


def _date(rng: random.Random) -> str:
    import datetime

    day = datetime.date(2000, 1, 1) + datetime.timedelta(days=rng.randrange(23 * 365))
    return day.strftime(rng.choice(DATE_FORMATS))


def lyrics_rows(rng: random.Random, n: int, first_id: int) -> list[list[str]]:
    artists = [a for a in ARTISTS for _ in range(a[2])]
    all_genres = list(LINES)
    rows, song_id = [], first_id
    for _ in range(n):
        artist, usual, _ = rng.choice(artists)
        draw = rng.random()
        if draw < 0.03:
            cell, genres = "-", [rng.choice(usual.split(", "))]  # unknown genre, lyrics still in the usual style
        elif draw < 0.15:
            cell = rng.choice(all_genres)
            genres = [cell]
        else:
            cell, genres = usual, usual.split(", ")
        title = rng.choice(TITLES[genres[0]])
        if rng.random() < 0.1:
            title += f" (Feat. {rng.choice(ARTISTS)[0].split(',')[0]})"
        album = rng.choice(
            [
                f"{artist.split(' (')[0].split(',')[0]} {rng.randint(1, 5)}집",
                title,
                "Single",
                f"The {rng.randint(1, 4)}th Mini Album",
            ]
        )
        if "국내드라마" in genres:
            album = f"{rng.choice(['푸른 바다의 약속', '달빛 정원', '우리들의 계절'])} OST Part.{rng.randint(1, 12)}"
        song_id += rng.randint(1, 40)
        rows.append([str(song_id), title, artist, album, _date(rng), cell, _lyrics(rng, genres)])
    return rows


# ------------------------------------------------------------------------------------------ output
def write_lyrics(rows: list[list[str]], path: Path) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(["song_id", "song_name", "artist", "album", "release_date", "genre", "lyrics"])
        writer.writerows(rows)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--seed", type=int, default=2023)
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    rng = random.Random(args.seed)
    for split, n, labelled in (("train", 300, True), ("dev", 80, True), ("test", 60, False)):
        write_examples_nikl(nikl_examples(rng, n, split, labelled), EMOTIONS, args.out / f"nikl_{split}.jsonl")
    write_lyrics(lyrics_rows(rng, 150, 1000), args.out / "lyrics_train.csv")
    write_lyrics(lyrics_rows(rng, 50, 9000), args.out / "lyrics_dev.csv")
    print(f"wrote samples to {args.out}")


if __name__ == "__main__":
    main()
