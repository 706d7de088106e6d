"""Every custom action the app serves to Rasa (miniprogram_api/routes/actions.py)."""
from __future__ import annotations

from rasa_sdk import Action

from bot.actions import AnswerFaq, AnswerItemQuestion, HandleComplaint, HandleFallback, HandleYesNo, RequestHuman, SmallTalk
from bot.booking_dialogue import booking_actions
from bot.progress_dialogue import progress_actions
from knowledge.service import KnowledgeService
from miniprogram_api.clock import Clock


def all_actions(knowledge: KnowledgeService, clock: Clock) -> list[Action]:
    return [AnswerItemQuestion(knowledge, today=lambda: clock.now().date()), SmallTalk(knowledge), HandleFallback(knowledge),
            RequestHuman(), HandleComplaint(knowledge, clock), HandleYesNo(), AnswerFaq(knowledge),
            *booking_actions(knowledge, clock), *progress_actions(knowledge, clock)]
