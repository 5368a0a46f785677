"""A BERT classifier that pools by mean (e5's own pooling) or by the first token, with no ``pooler`` layer.

``BertForSequenceClassification`` classifies ``tanh(W h_cls + b)`` through a pooler that sentence encoders such
as e5 do not ship (it would start random). This head reads the encoder's hidden states directly: ``mean`` over
every non-padding token (``<s>`` and ``</s>`` included, as e5 was trained) or ``cls`` (the first token).

Saved weights keep the standard names (``bert.*``, ``classifier.*``), so the directory is an ordinary
``transformers`` checkpoint (``AutoModel`` reads the encoder exactly); ``config.json`` records the pooling as
``koclassify_pooling``, which is how :func:`koclassify.backends.encoder.model.load_trained` picks this class.
"""

from __future__ import annotations

from functools import cache
from typing import Any

POOLING_KEY = "koclassify_pooling"


def pool(hidden: Any, attention_mask: Any, how: str) -> Any:
    """(batch, tokens, dim) -> (batch, dim): the masked mean, or the first token."""
    if how == "cls":
        return hidden[:, 0]
    mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
    return (hidden * mask).sum(1) / mask.sum(1).clamp(min=1.0)


@cache
def pooled_classifier_class() -> type:
    """Built lazily (transformers is a heavy import)."""
    import torch
    from transformers import BertModel, BertPreTrainedModel
    from transformers.modeling_outputs import SequenceClassifierOutput

    class BertPooledClassifier(BertPreTrainedModel):
        def __init__(self, config: Any) -> None:
            super().__init__(config)
            self.num_labels = config.num_labels
            self.bert = BertModel(config, add_pooling_layer=False)
            dropout = getattr(config, "classifier_dropout", None)
            self.dropout = torch.nn.Dropout(config.hidden_dropout_prob if dropout is None else dropout)
            self.classifier = torch.nn.Linear(config.hidden_size, config.num_labels)
            self.post_init()

        def features(self, input_ids: Any, attention_mask: Any, token_type_ids: Any = None) -> Any:
            """Pooled sentence vectors (what the head reads, and what the linear probe is fitted on)."""
            hidden = self.bert(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state
            return pool(hidden, attention_mask, getattr(self.config, POOLING_KEY, "mean"))

        def forward(
            self, input_ids: Any = None, attention_mask: Any = None, token_type_ids: Any = None, **_: Any
        ) -> Any:
            pooled = self.features(input_ids, attention_mask, token_type_ids)
            return SequenceClassifierOutput(logits=self.classifier(self.dropout(pooled)))

    return BertPooledClassifier


def is_pooled(config: Any) -> bool:
    return getattr(config, POOLING_KEY, None) in ("mean", "cls")
