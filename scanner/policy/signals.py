"""The policy's ``signals`` section: one section per signal, named as the signal is registered
(``scanner.plugins.registry``). The built-ins' sections are typed here; a plugin's section is validated by the
plugin's own ``config_model``."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from scanner.policy.sections import INDICATOR_CLASSES, TEXT_FIELDS, Section, TextField


class TextRule(Section):
    """Fires when every class in ``all_of`` is present and none in ``none_of`` is."""

    all_of: list[str] = Field(min_length=1)
    none_of: list[str] = Field(default_factory=list)
    weight: float = Field(gt=0, le=1)

    @model_validator(mode="after")
    def _known_classes(self) -> TextRule:
        unknown = sorted((set(self.all_of) | set(self.none_of)) - INDICATOR_CLASSES)
        if unknown:
            raise ValueError(f"unknown indicator classes {unknown}; known: {sorted(INDICATOR_CLASSES)}")
        return self


class LexiconPolicy(Section):
    enabled: bool = True
    rules: dict[str, list[TextRule]]


class IconPolicy(Section):
    enabled: bool = True
    explicit_label: str
    explicit_adult_weight: float = Field(ge=0, le=1)
    explicit_with_minor_weight: float = Field(ge=0, le=1)
    min_pdq_quality: int = Field(ge=0, le=100)
    max_image_bytes: int = Field(gt=0)
    max_image_pixels: int = Field(gt=0)
    # Moderator-safe thumbnails, stored per icon for the dashboard: longest side in pixels and blur radius at
    # that size.
    thumbnail_size: int = Field(default=96, ge=16, le=512)
    thumbnail_blur: float = Field(default=6.0, ge=0, le=50)
    # Which classifier scores icons here: Yahoo's open_nsfw ("open_nsfw", the default: a core dependency,
    # BSD-2-Clause weights), NudeNet's detector ("nudenet": optional extra, AGPL-3.0), or none ("upstream": only
    # the platform's own scores in the record). Upstream scores are read whichever runs; the higher counts.
    classifier: Literal["open_nsfw", "upstream", "nudenet"] = "open_nsfw"
    # The local classifier's explicit score from which an icon counts as explicit (below it the score is kept as
    # a feature, not as evidence). Picked from the false-positive curve on real benign images
    # (bench/icon_fp_eval.py, README "Icon classifier"): the package's own default, well above every benign image.
    classifier_threshold: float = Field(default=0.5, ge=0, le=1)
    # adult_content evidence of an icon the local classifier scores at or above the threshold: a verdict, not a
    # calibrated probability, so it weighs the same whatever the score; above the review threshold, so a flagged
    # icon alone opens a P2 case.
    classifier_adult_weight: float = Field(default=0.6, ge=0, le=1)
    # At most this many new icons are classified inside one scan (in the icon workers); the rest wait for
    # `groupscan icons classify`, and the next scan rescores the groups they belong to. 0: none in the scan.
    classify_budget: int = Field(default=10_000, ge=0)


class TextModelPolicy(Section):
    """The trained text classifier (``scanner/text/text_model.py``)."""

    enabled: bool = True
    # Model directory (head.onnx + meta.json); empty means the model that ships in models/text.
    path: str | None = None
    # Evidence = weight x calibrated probability, counted only from min_probability up.
    weight: float = Field(default=0.9, ge=0, le=1)
    min_probability: float = Field(default=0.5, ge=0, le=1)
    fields: list[TextField] = Field(default_factory=lambda: list(TEXT_FIELDS))
    explain_top: int = Field(default=3, ge=0, le=10)
    # Texts with words in a script other than Latin are also read romanised (anyascii), each category from its
    # better reading.
    romanised_view: bool = True


class HashBankPolicy(Section):
    enabled: bool = True
    default_category: str
    default_threshold: int = Field(ge=0, le=128)
    match_weight: float = Field(ge=0, le=1)


class ConfirmedPolicy(Section):
    """Moderators' confirmed decisions as evidence (``scanner.signals.review``): what a confirmation weighs."""

    weight: float = Field(default=0.99, ge=0, le=1)


class SignalsPolicy(Section):
    """``signals: {name: {...}}``: each signal's section, named as the signal is registered. The built-ins'
    sections are typed here; a plugin's section is validated by the plugin's own ``config_model``."""

    model_config = ConfigDict(extra="allow", frozen=True)

    lexicon: LexiconPolicy
    icon: IconPolicy
    hash_banks: HashBankPolicy
    text_model: TextModelPolicy = Field(default_factory=TextModelPolicy)
    review: ConfirmedPolicy = Field(default_factory=ConfirmedPolicy)

    @model_validator(mode="before")
    @classmethod
    def _plugin_sections(cls, data: object) -> object:
        """A section no built-in owns belongs to a registered signal plugin, and is validated by its model."""
        if not isinstance(data, dict):
            return data
        unknown = [key for key in data if key not in cls.model_fields]
        if not unknown:
            return data
        from scanner.plugins.registry import registered  # only when a plugin's section is there

        plugins = {getattr(plugin, "name", key): plugin for key, plugin in registered("signals").items()}
        data = dict(data)
        for key in unknown:
            model = getattr(plugins.get(key), "config_model", None)
            if model is None:
                raise ValueError(f"unknown signal {key!r}: no registered signal has a policy section of that name "
                                 f"(registered: {', '.join(sorted(plugins))})")
            data[key] = model.model_validate(data[key])
        return data

    def section(self, name: str) -> BaseModel | None:
        """The policy section of the signal registered as ``name`` (a built-in's or a plugin's)."""
        found = getattr(self, name, None) if name in type(self).model_fields else (self.model_extra or {}).get(name)
        return found if isinstance(found, BaseModel) else None
