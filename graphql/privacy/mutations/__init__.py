"""Privacy mutations, one per file."""

import graphene

from crm.graphql.privacy.mutations.consent_record import ConsentRecordMutation
from crm.graphql.privacy.mutations.data_subject_request_create import DataSubjectRequestCreate
from crm.graphql.privacy.mutations.data_subject_request_fulfil import DataSubjectRequestFulfil
from crm.graphql.privacy.mutations.data_subject_request_reject import DataSubjectRequestReject
from crm.graphql.privacy.mutations.data_subject_request_start import DataSubjectRequestStart
from crm.graphql.privacy.mutations.retention_policy_delete import RetentionPolicyDelete
from crm.graphql.privacy.mutations.retention_policy_set import RetentionPolicySet
from crm.graphql.privacy.mutations.retention_run_start import RetentionRunStart


class PrivacyMutations(graphene.ObjectType):
    data_subject_request_create = DataSubjectRequestCreate.Field()
    data_subject_request_start = DataSubjectRequestStart.Field()
    data_subject_request_reject = DataSubjectRequestReject.Field()
    data_subject_request_fulfil = DataSubjectRequestFulfil.Field()
    consent_record = ConsentRecordMutation.Field()
    retention_policy_set = RetentionPolicySet.Field()
    retention_policy_delete = RetentionPolicyDelete.Field()
    retention_run_start = RetentionRunStart.Field()
