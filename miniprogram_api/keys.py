"""Typed keys for what the app and a request carry."""
from __future__ import annotations

import aiohttp
import redis.asyncio as aioredis
from aiohttp import web

from bot.conversation import ConversationService
from bot.delivery import Delivery
from bot.deployment import DeploymentService
from bot.handoff import HandoffService
from bot.handoff_tickets import TicketService
from bot.rasa_client import RasaClient
from bot.training import TrainingService
from bot.wechat.channel import WeChatChannel
from bot.wechat.envelope import Envelope
from knowledge.service import KnowledgeService
from miniprogram_api.clock import Clock
from miniprogram_api.config import Settings
from miniprogram_api.models.citizen import Citizen
from miniprogram_api.models.staff import StaffAccount
from miniprogram_api.services.notify import Notifier
from miniprogram_api.wechat_api import WeChatApi

SETTINGS = web.AppKey("settings", Settings)
KNOWLEDGE = web.AppKey("knowledge", KnowledgeService)
REDIS = web.AppKey("redis", aioredis.Redis)
HTTP = web.AppKey("http", aiohttp.ClientSession)
RASA = web.AppKey("rasa", RasaClient)
CONVERSATIONS = web.AppKey("conversations", ConversationService)
WXA = web.AppKey("wxa", WeChatApi)  # the mini-program's WeChat API
OFFICIAL = web.AppKey("official", WeChatApi)  # the official account's WeChat API
DELIVERY = web.AppKey("delivery", Delivery)
HANDOFF = web.AppKey("handoff", HandoffService)
TICKETS = web.AppKey("tickets", TicketService)  # leave-a-message tickets
CLOCK = web.AppKey("clock", Clock)
NOTIFIER = web.AppKey("notifier", Notifier)
WECHAT = web.AppKey("wechat", WeChatChannel)  # the official-account channel
WECHAT_ENVELOPE = web.AppKey("wechat_envelope", Envelope)  # its signatures, AES and XML
TRAINING = web.AppKey("training", TrainingService)  # curators' retrain in the background
DEPLOYMENT = web.AppKey("deployment", DeploymentService)  # models into service and back
STAFF = web.RequestKey("staff", StaffAccount)
CITIZEN = web.RequestKey("citizen", Citizen)
