"""Tortoise models of the app, a module per feature (the knowledge base's own models live in knowledge.models)."""
from miniprogram_api.models.applications import Application, ApplicationEvent, Complaint, FollowUp, QueryAttempt, Rating
from miniprogram_api.models.booking import Appointment, DailyCounter, Slot
from miniprogram_api.models.citizen import Citizen, Notification
from miniprogram_api.models.conversation import Conversation, TranscriptMessage
from miniprogram_api.models.faq import FaqChange, FaqIntent, UnansweredQuestion
from miniprogram_api.models.handoff import Handoff, Ticket
from miniprogram_api.models.staff import PiiReveal, StaffAccount
from miniprogram_api.models.stats import MessageDay, RolledUpDay
from miniprogram_api.models.training import ModelDeployment, ModelVersion, TrainingRun
from miniprogram_api.models.wechat import WeChatFollower

__all__ = ["Application", "ApplicationEvent", "Appointment", "Citizen", "Complaint", "Conversation", "DailyCounter",
           "FaqChange", "FaqIntent", "FollowUp", "Handoff", "MessageDay", "ModelDeployment", "ModelVersion", "Notification",
           "PiiReveal", "QueryAttempt", "Rating", "RolledUpDay", "Slot", "StaffAccount", "Ticket", "TrainingRun",
           "TranscriptMessage", "UnansweredQuestion", "WeChatFollower"]
