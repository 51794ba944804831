"""Tiny random BLIP and CLIP models built from configs: no download, seconds to make.

Each is saved as a real model folder (weights, config, processor, tokenizer), so the
skills load them through the same ``from_pretrained`` code that loads a hub name.
Their outputs are random but deterministic (fixed seed): tests assert the plumbing,
shapes, batching and thresholds, not the model's judgement.
"""

from __future__ import annotations

from pathlib import Path

WORDS = ["a", "photo", "of", "the", "dog", "cat", "shoe", "ball", "court", "man", "on",
         "with", "red", "blue", "in", "playing", "basketball", "street", "sign", "text"]


def tiny_clip(path: Path) -> Path:
    """A CLIP with 32-dim embeddings and 32x32 images, saved to ``path``."""
    import torch
    from transformers import (CLIPConfig, CLIPImageProcessor, CLIPModel, CLIPProcessor,
                              CLIPTokenizer)

    torch.manual_seed(0)
    path.mkdir(parents=True, exist_ok=True)
    config = CLIPConfig(
        text_config=dict(vocab_size=99, hidden_size=32, intermediate_size=37,
                         num_hidden_layers=2, num_attention_heads=4,
                         max_position_embeddings=77, projection_dim=32,
                         bos_token_id=0, eos_token_id=1, pad_token_id=1),
        vision_config=dict(hidden_size=32, intermediate_size=37, num_hidden_layers=2,
                           num_attention_heads=4, image_size=32, patch_size=8,
                           projection_dim=32),
        projection_dim=32)
    CLIPModel(config).save_pretrained(path)
    vocab = {"<|startoftext|>": 0, "<|endoftext|>": 1, "<unk>": 2}
    for word in WORDS:
        vocab[word + "</w>"] = len(vocab)
    merges: list[tuple[str, str]] = []  # whole words only: anything else is <unk>
    tokenizer = CLIPTokenizer(vocab=vocab, merges=merges, unk_token="<unk>",
                              bos_token="<|startoftext|>", eos_token="<|endoftext|>",
                              pad_token="<|endoftext|>")
    images = CLIPImageProcessor(size={"shortest_edge": 32}, crop_size={"height": 32, "width": 32})
    CLIPProcessor(image_processor=images, tokenizer=tokenizer).save_pretrained(path)
    return path


def tiny_blip(path: Path) -> Path:
    """A BLIP captioner with 32-dim layers and 32x32 images, saved to ``path``."""
    import torch
    from transformers import (BertTokenizer, BlipConfig, BlipForConditionalGeneration,
                              BlipImageProcessor, BlipProcessor)

    torch.manual_seed(0)
    path.mkdir(parents=True, exist_ok=True)
    vocab = {t: i for i, t in enumerate(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "[DEC]"] + WORDS)}
    config = BlipConfig(
        text_config=dict(vocab_size=len(vocab), hidden_size=32, intermediate_size=37,
                         num_hidden_layers=2, num_attention_heads=4, max_position_embeddings=64,
                         bos_token_id=vocab["[DEC]"], sep_token_id=vocab["[SEP]"],
                         pad_token_id=vocab["[PAD]"], eos_token_id=vocab["[SEP]"]),
        vision_config=dict(hidden_size=32, intermediate_size=37, num_hidden_layers=2,
                           num_attention_heads=4, image_size=32, patch_size=8),
        projection_dim=32)
    BlipForConditionalGeneration(config).save_pretrained(path)
    tokenizer = BertTokenizer(vocab=vocab, do_lower_case=True, bos_token="[DEC]")
    images = BlipImageProcessor(size={"height": 32, "width": 32})
    BlipProcessor(image_processor=images, tokenizer=tokenizer).save_pretrained(path)
    return path


NER_TAGS = ("O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC", "B-MISC", "I-MISC")


def tiny_token_classifier(path: Path, vocabulary: list[str], tags: dict | None = None,
                          labels: tuple[str, ...] = NER_TAGS, max_length: int = 64,
                          family: str = "bert") -> Path:
    """A token classifier (32-dim, 2 layers) of ``family``, saved to ``path`` with its tokenizer.

    ``family``: ``bert`` (WordPiece), ``roberta`` (byte-level BPE) or ``xlm-roberta``
    (SentencePiece unigram). ``vocabulary`` lists words; a ``##`` prefix marks a piece that
    continues a word (``["Quill", "##on"]``); the tokenizer of each family spells them its
    own way (``Ġ``, ``▁``), single characters cover the rest. ``labels`` become
    ``id2label``; ``max_length`` is the tokens a window may hold, special tokens included.

    Without ``tags`` the weights are random (seed 0). With ``tags`` (word -> label, or
    word -> ``(label, strength)`` with strength in (0, 1]) the model is rigged so that a
    token's logits depend on that token alone: position and type embeddings and every
    layer's output projections are zero, so each layer passes its input through its
    residual LayerNorm, and the classifier reads one hidden dimension per label. A
    token's embedding is its label's dimension, plus ``1 - strength`` of ``O``'s (lower
    confidence); tokens not in ``tags`` are ``O``. The predictions are then known, yet
    they come out of a real forward pass.
    """
    import torch
    import transformers

    torch.manual_seed(0)
    path.mkdir(parents=True, exist_ok=True)
    tokenizer, spelled = _TOKENIZERS[family](vocabulary, max_length)
    prefix = {"bert": "Bert", "roberta": "Roberta", "xlm-roberta": "XLMRoberta"}[family]
    extra = 0 if family == "bert" else 2  # RoBERTa positions start after the padding index
    config = getattr(transformers, prefix + "Config")(
        vocab_size=len(tokenizer), hidden_size=32, intermediate_size=37, num_hidden_layers=2,
        num_attention_heads=4, max_position_embeddings=max_length + extra,
        pad_token_id=tokenizer.pad_token_id, id2label=dict(enumerate(labels)),
        label2id={label: i for i, label in enumerate(labels)})
    model = getattr(transformers, prefix + "ForTokenClassification")(config)
    if tags is not None:
        ids = {word: [tokenizer.convert_tokens_to_ids(t) for t in spelled[word.lstrip("#")]]
               for word in tags}
        _rig(model, ids, tags, labels)
    model.save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path


def _bert_tokenizer(vocabulary: list[str], max_length: int) -> tuple:
    from transformers import BertTokenizer

    words = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] + list(dict.fromkeys(vocabulary))
    tokenizer = BertTokenizer(vocab={t: i for i, t in enumerate(words)}, do_lower_case=False,
                              model_max_length=max_length)
    return tokenizer, {w.lstrip("#"): [w] for w in vocabulary}


def _roberta_tokenizer(vocabulary: list[str], max_length: int) -> tuple:
    from transformers import RobertaTokenizer
    from transformers.convert_slow_tokenizer import bytes_to_unicode

    vocab = {t: i for i, t in enumerate(["<s>", "<pad>", "</s>", "<unk>", "<mask>"])}
    for char in bytes_to_unicode().values():
        vocab.setdefault(char, len(vocab))
    merges: list[tuple[str, str]] = []
    spelled = {}
    for word in vocabulary:
        bare = word.lstrip("#")
        for end in range(2, len(bare) + 1):  # the word from its characters, left to right
            if bare[:end] not in vocab:
                vocab[bare[:end]] = len(vocab)
                merges.append((bare[:end - 1], bare[end - 1]))
        spelled[bare] = [bare]
        if not word.startswith("##"):  # then the word after a space: one more merge
            vocab.setdefault("\u0120" + bare, len(vocab))
            merges.append(("\u0120", bare))
            spelled[bare].append("\u0120" + bare)
    tokenizer = RobertaTokenizer(vocab=vocab, merges=merges, model_max_length=max_length)
    return tokenizer, spelled


def _xlmr_tokenizer(vocabulary: list[str], max_length: int) -> tuple:
    from transformers import XLMRobertaTokenizer

    pieces: dict[str, float] = {t: 0.0 for t in ["<s>", "<pad>", "</s>", "<unk>"]}
    spelled = {}
    for word in vocabulary:
        bare = word.lstrip("#")
        forms = [bare] if word.startswith("##") else [bare, "\u2581" + bare]
        for form in forms:
            pieces.setdefault(form, -2.0 if form[0] == "\u2581" else -3.0)
        spelled[bare] = forms
    for char in "\u2581" + "".join(sorted({c for w in vocabulary for c in w.lstrip("#")})):
        pieces.setdefault(char, -10.0)
    pieces["<mask>"] = 0.0
    tokenizer = XLMRobertaTokenizer(vocab=list(pieces.items()), model_max_length=max_length)
    return tokenizer, spelled


_TOKENIZERS = {"bert": _bert_tokenizer, "roberta": _roberta_tokenizer, "xlm-roberta": _xlmr_tokenizer}


def _rig(model, ids: dict[str, list[int]], tags: dict, labels: tuple[str, ...]) -> None:
    """Make ``model``'s logits a function of the token (see :func:`tiny_token_classifier`)."""
    import torch

    outside = labels.index("O")
    with torch.no_grad():
        for name, param in model.named_parameters():
            if "output.dense" in name or "position_embeddings" in name or \
                    "token_type_embeddings" in name:
                param.zero_()
        embeddings = model.base_model.embeddings.word_embeddings.weight
        embeddings.zero_()
        embeddings[:, outside] = 1.0
        for word, tag in tags.items():
            label, strength = (tag, 1.0) if isinstance(tag, str) else tag
            for token in ids[word]:
                row = embeddings[token]
                row.zero_()
                row[labels.index(label)] = 1.0
                row[outside] += 1.0 - float(strength)
        model.classifier.weight.zero_()
        model.classifier.bias.zero_()
        for i in range(len(labels)):
            model.classifier.weight[i, i] = 1.0
