#!/usr/bin/env python3
"""Writes pacs.008.001.08-cbpr-maximal.xml: one CBPR+-style credit transfer with every party, agent and remittance
element filled to its maximum length (about 20 KB), for the 20 KB figure of docs/benchmarks.md. Deterministic."""
import os

def text(n, seed):
    base = (seed + " ") * (n // (len(seed) + 1) + 1)
    return base[:n].rstrip() or seed[:n]

def addr(ind, tag="PstlAdr"):
    i = "  " * ind
    lines = "".join(f"{i}  <AdrLine>{text(70, f'Address line {k} of the maximal address')}</AdrLine>\n" for k in range(1, 3))
    return (f"{i}<{tag}>\n"
            f"{i}  <Dept>{text(70, 'Department of International Payments')}</Dept>\n"
            f"{i}  <SubDept>{text(70, 'Sub Department Correspondent Banking')}</SubDept>\n"
            f"{i}  <StrtNm>{text(70, 'Grosse Gallusstrasse Financial District')}</StrtNm>\n"
            f"{i}  <BldgNb>{text(16, '10-14')}</BldgNb>\n"
            f"{i}  <BldgNm>{text(35, 'Trianon Tower')}</BldgNm>\n"
            f"{i}  <Flr>{text(70, 'Floor 42')}</Flr>\n"
            f"{i}  <PstBx>{text(16, 'PO Box 100001')}</PstBx>\n"
            f"{i}  <Room>{text(70, 'Room 4201')}</Room>\n"
            f"{i}  <PstCd>{text(16, '60311')}</PstCd>\n"
            f"{i}  <TwnNm>{text(35, 'Frankfurt am Main')}</TwnNm>\n"
            f"{i}  <TwnLctnNm>{text(35, 'Innenstadt')}</TwnLctnNm>\n"
            f"{i}  <DstrctNm>{text(35, 'Darmstadt District')}</DstrctNm>\n"
            f"{i}  <CtrySubDvsn>{text(35, 'Hessen')}</CtrySubDvsn>\n"
            f"{i}  <Ctry>DE</Ctry>\n{lines}"
            f"{i}</{tag}>\n")

def agent(tag, bic, member, ind=3):
    i = "  " * ind
    return (f"{i}<{tag}>\n{i}  <FinInstnId>\n{i}    <BICFI>{bic}</BICFI>\n"
            f"{i}    <ClrSysMmbId>\n{i}      <ClrSysId>\n{i}        <Cd>DEBLZ</Cd>\n{i}      </ClrSysId>\n{i}      <MmbId>{member}</MmbId>\n{i}    </ClrSysMmbId>\n"
            f"{i}    <LEI>529900T8BM49AURSDO55</LEI>\n{i}    <Nm>{text(140, 'Maximal Correspondent Bank Aktiengesellschaft Frankfurt Branch')}</Nm>\n"
            + addr(ind + 2) +
            f"{i}  </FinInstnId>\n{i}  <BrnchId>\n{i}    <Id>{text(35, 'BRANCH-0001')}</Id>\n{i}    <LEI>529900T8BM49AURSDO55</LEI>\n{i}    <Nm>{text(140, 'Head Office Branch')}</Nm>\n{i}  </BrnchId>\n{i}</{tag}>\n")

def party(tag, name, ind=3):
    i = "  " * ind
    others = "".join(f"{i}      <Othr>\n{i}        <Id>{text(35, f'ORG-ID-{k}')}</Id>\n{i}        <SchmeNm>\n{i}          <Cd>TXID</Cd>\n{i}        </SchmeNm>\n{i}        <Issr>{text(35, 'Bundeszentralamt')}</Issr>\n{i}      </Othr>\n" for k in range(1, 4))
    return (f"{i}<{tag}>\n{i}  <Nm>{text(140, name)}</Nm>\n" + addr(ind + 1) +
            f"{i}  <Id>\n{i}    <OrgId>\n{i}      <AnyBIC>COBADEFFXXX</AnyBIC>\n{i}      <LEI>529900T8BM49AURSDO55</LEI>\n{others}{i}    </OrgId>\n{i}  </Id>\n"
            f"{i}  <CtryOfRes>DE</CtryOfRes>\n"
            f"{i}  <CtctDtls>\n{i}    <NmPrfx>MADM</NmPrfx>\n{i}    <Nm>{text(140, 'Treasury Operations Contact')}</Nm>\n{i}    <PhneNb>+49-69-123456789</PhneNb>\n"
            f"{i}    <EmailAdr>{text(60, 'payments.operations.treasury.example.com').replace(' ', '.')}@example.com</EmailAdr>\n{i}  </CtctDtls>\n{i}</{tag}>\n")

def account(tag, iban, ind=3):
    i = "  " * ind
    return f"{i}<{tag}>\n{i}  <Id>\n{i}    <IBAN>{iban}</IBAN>\n{i}  </Id>\n{i}  <Ccy>EUR</Ccy>\n{i}  <Nm>{text(70, 'Operating account in euro')}</Nm>\n{i}</{tag}>\n"

docs = "".join(f"""          <RfrdDocInf>
            <Tp>
              <CdOrPrtry>
                <Cd>CINV</Cd>
              </CdOrPrtry>
            </Tp>
            <Nb>{text(35, f'INVOICE-2026-{k:05d}')}</Nb>
            <RltdDt>2026-06-{k:02d}</RltdDt>
          </RfrdDocInf>
""" for k in range(1, 11))

tx = ("    <CdtTrfTxInf>\n      <PmtId>\n        <InstrId>MAXIMAL-INSTR-0001</InstrId>\n        <EndToEndId>MAXIMAL-E2E-0000000000000000000001</EndToEndId>\n"
      "        <TxId>MAXIMAL-TX-0001</TxId>\n        <UETR>7f0f6a6e-3b1a-4c11-9a7e-2d5a1e7c9b01</UETR>\n      </PmtId>\n"
      "      <PmtTpInf>\n        <InstrPrty>NORM</InstrPrty>\n        <SvcLvl>\n          <Cd>G001</Cd>\n        </SvcLvl>\n      </PmtTpInf>\n"
      "      <IntrBkSttlmAmt Ccy=\"EUR\">98765432.10</IntrBkSttlmAmt>\n      <IntrBkSttlmDt>2026-07-02</IntrBkSttlmDt>\n"
      "      <InstdAmt Ccy=\"EUR\">98765432.10</InstdAmt>\n      <ChrgBr>SHAR</ChrgBr>\n"
      + agent("InstgAgt", "COBADEFFXXX", "50040000") + agent("InstdAgt", "DEUTDEFFXXX", "50070010")
      + party("UltmtDbtr", "Ultimate Debtor Holding GmbH") 
      + party("Dbtr", "Maximal Debtor Industrie und Handel GmbH") + account("DbtrAcct", "DE89370400440532013000") + agent("DbtrAgt", "COBADEFFXXX", "50040000")
      + agent("CdtrAgt", "DEUTDEFF500", "50070010") + party("Cdtr", "Maximal Creditor Logistik und Verkehr GmbH") + account("CdtrAcct", "DE44500105175407324931")
      + f"      <InstrForCdtrAgt>\n        <Cd>PHOB</Cd>\n        <InstrInf>{text(140, 'Please advise the beneficiary by telephone')}</InstrInf>\n      </InstrForCdtrAgt>\n"
      + f"      <InstrForNxtAgt>\n        <InstrInf>{text(35, 'Urgent processing requested')}</InstrInf>\n      </InstrForNxtAgt>\n"
      + "      <Purp>\n        <Cd>GDDS</Cd>\n      </Purp>\n"
      + f"      <RmtInf>\n        <Strd>\n{docs}          <AddtlRmtInf>{text(140, 'Payment of the invoices listed above')}</AddtlRmtInf>\n        </Strd>\n      </RmtInf>\n"
      + "    </CdtTrfTxInf>\n")

xml = ('<?xml version="1.0" encoding="UTF-8"?>\n<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pacs.008.001.08">\n  <FIToFICstmrCdtTrf>\n'
       "    <GrpHdr>\n      <MsgId>MAXIMAL-CBPR-MSG-0000000000000001</MsgId>\n      <CreDtTm>2026-07-02T10:30:00+02:00</CreDtTm>\n      <NbOfTxs>1</NbOfTxs>\n"
       "      <SttlmInf>\n        <SttlmMtd>INDA</SttlmMtd>\n      </SttlmInf>\n    </GrpHdr>\n" + tx + "  </FIToFICstmrCdtTrf>\n</Document>\n")
out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "pacs.008.001.08-cbpr-maximal.xml")
open(out, "w", encoding="utf-8").write(xml)
print(out, len(xml.encode()))
