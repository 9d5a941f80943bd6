"""Members' profiles: what they tell about themselves and how they like to travel."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

from flask import current_app
from flask_babel import lazy_gettext as _l

from ..extensions import db
from ..models import NOTIFICATIONS, PREFERENCES, User
from . import reviews
from .messages import ServiceError
from .reviews import ReceivedReview, Trust
from .text import clean_name, clean_text

__all__ = [
    "MemberDeleted",
    "MemberNotFound",
    "Profile",
    "ProfileError",
    "PublicProfile",
    "get_profile",
    "public_profile",
    "set_language",
    "update_profile",
]

MAX_BIO = 500
_PHONE = re.compile(r"^\+?[0-9 .()-]{6,30}$")


class ProfileError(ServiceError):
    """Profile data that cannot be saved."""


class MemberNotFound(LookupError):
    """No member has this id."""


class MemberDeleted(MemberNotFound):
    """The member deleted their account: nothing of it is shown."""


@dataclass(frozen=True)
class Profile:
    """What a member can change about themselves. The phone number is private."""

    display_name: str
    bio: str = ""
    phone: str = ""
    car_model: str = ""
    car_colour: str = ""
    smoking: str = ""
    pets: str = ""
    music: str = ""
    chattiness: str = ""
    language: str = "fr"
    mails: tuple[str, ...] = NOTIFICATIONS  # the e-mails the member receives


@dataclass(frozen=True)
class PublicProfile:
    """A member as other members see them: never their e-mail or phone. ``trust``
    has their figures (rating, completed trips, late cancellations, no-shows: see
    :class:`carpool.services.reviews.Trust`), ``reviews`` the reviews they received,
    the newest first."""

    id: int
    display_name: str
    bio: str
    car_model: str
    car_colour: str
    preferences: dict[str, str]
    member_since: datetime
    confirmed: bool
    trust: Trust
    reviews: tuple[ReceivedReview, ...]


def _user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        raise MemberNotFound(user_id)
    if user.deleted_at is not None:  # a deleted account has no profile
        raise MemberDeleted(user_id)
    return user


def get_profile(user_id: int) -> Profile:
    """A member's own profile, for its form.

    Raises
    ------
    MemberNotFound
        If there is no such member.
    """
    user = _user(user_id)
    return Profile(
        display_name=user.display_name,
        bio=user.bio,
        phone=user.phone,
        car_model=user.car_model,
        car_colour=user.car_colour,
        smoking=user.smoking,
        pets=user.pets,
        music=user.music,
        chattiness=user.chattiness,
        language=user.language,
        mails=tuple(kind for kind in NOTIFICATIONS if kind not in user.mail_off.split(",")),
    )


def _validate(profile: Profile) -> str:
    name = clean_name(profile.display_name)
    if not 1 <= len(name) <= 60:
        raise ProfileError(_l("Your name must have between 1 and 60 characters."))
    if len(profile.bio) > MAX_BIO:
        raise ProfileError(_l("At most %(most)d characters about you.", most=MAX_BIO))
    if profile.phone and not _PHONE.match(profile.phone.strip()):
        raise ProfileError(_l("Digits, spaces and a leading + only."))
    if len(profile.car_model) > 60 or len(profile.car_colour) > 30:
        raise ProfileError(_l("The car's model or colour is too long."))
    for name_, answers in PREFERENCES.items():
        if getattr(profile, name_) not in ("", *answers):
            raise ProfileError(_l("Choose a travel preference from the list."))
    if profile.language not in current_app.config["LANGUAGES"]:
        raise ProfileError(_l("Unknown language."))
    if not set(profile.mails) <= set(NOTIFICATIONS):
        raise ProfileError(_l("Choose e-mails from the list."))
    return name


def update_profile(user_id: int, profile: Profile) -> None:
    """Save a member's profile.

    Raises
    ------
    MemberNotFound
        If there is no such member.
    ProfileError
        For a name, bio, phone number or preference that cannot be saved.
    """
    user = _user(user_id)
    user.display_name = _validate(profile)
    user.bio = clean_text(profile.bio, limit=MAX_BIO)
    user.phone = profile.phone.strip()
    user.car_model = clean_name(profile.car_model)
    user.car_colour = clean_name(profile.car_colour)
    for name in PREFERENCES:
        setattr(user, name, getattr(profile, name))
    user.language = profile.language
    user.mail_off = ",".join(kind for kind in NOTIFICATIONS if kind not in profile.mails)
    db.session.commit()


def set_language(user_id: int, language: str) -> None:
    """Remember a member's language (the switch in the page header).

    Raises
    ------
    MemberNotFound
        If there is no such member.
    ProfileError
        For a language the site does not speak.
    """
    if language not in current_app.config["LANGUAGES"]:
        raise ProfileError(_l("Unknown language."))
    _user(user_id).language = language
    db.session.commit()


def public_profile(user_id: int, *, now: datetime | None = None) -> PublicProfile:
    """A member's page, as any visitor sees it, with their trust figures as of ``now``.

    Raises
    ------
    MemberNotFound
        If there is no such member.
    MemberDeleted
        If the member deleted their account.
    """
    user = _user(user_id)
    return PublicProfile(
        id=user.id,
        display_name=user.display_name,
        bio=user.bio,
        car_model=user.car_model,
        car_colour=user.car_colour,
        preferences={name: getattr(user, name) for name in PREFERENCES if getattr(user, name)},
        member_since=user.created_at,
        confirmed=user.confirmed_at is not None,
        trust=reviews.trust(user.id, now=now or datetime.now(UTC)),
        reviews=reviews.received(user.id),
    )
